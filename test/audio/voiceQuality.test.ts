import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ProsodyFrame, ProsodyFrames } from '../../src/audio/prosodyFrames.ts';
import { type Pulse, voiceQuality } from '../../src/audio/voiceQuality.ts';

const SR = 16000;
const RANGE = { minPeriodS: 1 / 500, maxPeriodS: 1 / 60 };

/** Deterministic uniform noise in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (2 * s) / 2147483648 - 1;
  };
}

/**
 * A pulse-like voice: Gaussian pulses (σ = 1 ms) at the period boundaries, pulse i of amplitude A_i, period i of
 * length T_i, so consecutive peaks are exactly T_i apart with exactly their amplitudes (each pulse is symmetric and
 * its neighbours' tails are negligible). Returns the samples and the true local jitter and shimmer of the generated
 * periods and amplitudes (Praat's definitions).
 */
function perturbedVoice(seconds: number, f0: number, jitterSize: number, shimmerSize: number) {
  const rnd = lcg(99);
  const x = new Float32Array(Math.round(seconds * SR));
  const periods: number[] = [];
  const amps: number[] = [];
  const sigma = SR / 1000;
  for (let at = 3 * sigma; at < x.length - 3 * sigma; ) {
    const a = 0.4 * (1 + shimmerSize * rnd());
    amps.push(a);
    for (let n = Math.ceil(at - 4 * sigma); n < at + 4 * sigma; n++)
      x[n] += a * Math.exp(-0.5 * ((n - at) / sigma) ** 2);
    const T = (SR / f0) * (1 + jitterSize * rnd());
    periods.push(T);
    at += T;
  }
  periods.pop();
  const meanAbsDiff = (v: number[]) => v.slice(1).reduce((a, y, i) => a + Math.abs(y - v[i]), 0) / (v.length - 1);
  const mean = (v: number[]) => v.reduce((a, y) => a + y, 0) / v.length;
  return { x, jitter: meanAbsDiff(periods) / mean(periods), shimmer: meanAbsDiff(amps) / mean(amps) };
}

function pulsesOf(x: Float32Array): Pulse[] {
  const pf = new ProsodyFrames();
  const frames: ProsodyFrame[] = [];
  const pulses: Pulse[] = [];
  for (let i = 0; i < x.length; i += 500) pf.push(x.subarray(i, i + 500), i / SR, frames, pulses);
  // the middle, away from the zero-padded start and the unanalysed end
  return pulses.filter((p) => p.t > 0.1 && p.t < x.length / SR - 0.1);
}

describe('voice quality (pulse tracking, local jitter and shimmer)', () => {
  it('gives jitter and shimmer near 0 on a pure tone', () => {
    const x = new Float32Array(SR).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 130 * i) / SR));
    const vq = voiceQuality(pulsesOf(x), RANGE);
    assert.ok(vq.periods > 100, `${vq.periods} periods`);
    assert.ok(vq.jitter !== null && vq.jitter < 0.001, `jitter ${vq.jitter}`);
    assert.ok(vq.shimmer !== null && vq.shimmer < 0.002, `shimmer ${vq.shimmer}`);
  });

  it('measures injected period and amplitude perturbation close to its true size', () => {
    const clean = perturbedVoice(1.5, 140, 0, 0);
    const v0 = voiceQuality(pulsesOf(clean.x), RANGE);
    assert.ok(v0.jitter !== null && v0.jitter < 0.002 && v0.shimmer !== null && v0.shimmer < 0.01, JSON.stringify(v0));
    for (const js of [0.02, 0.04]) {
      const g = perturbedVoice(1.5, 140, js, 0);
      const v = voiceQuality(pulsesOf(g.x), RANGE);
      assert.ok(v.jitter !== null && Math.abs(v.jitter / g.jitter - 1) < 0.2, `jitter ${v.jitter} vs true ${g.jitter}`);
      assert.ok(v.shimmer !== null && v.shimmer < 0.01, `shimmer ${v.shimmer} with only jitter injected`);
    }
    {
      const g = perturbedVoice(1.5, 140, 0.03, 0.15);
      const v = voiceQuality(pulsesOf(g.x), RANGE);
      assert.ok(v.jitter !== null && Math.abs(v.jitter / g.jitter - 1) < 0.2, `jitter ${v.jitter} vs true ${g.jitter}`);
      assert.ok(
        v.shimmer !== null && Math.abs(v.shimmer / g.shimmer - 1) < 0.2,
        `shimmer ${v.shimmer} vs ${g.shimmer}`,
      );
    }
    for (const ss of [0.1, 0.2]) {
      const g = perturbedVoice(1.5, 140, 0, ss);
      const v = voiceQuality(pulsesOf(g.x), RANGE);
      assert.ok(
        v.shimmer !== null && Math.abs(v.shimmer / g.shimmer - 1) < 0.2,
        `shimmer ${v.shimmer} vs ${g.shimmer}`,
      );
      assert.ok(v.jitter !== null && v.jitter < g.shimmer / 4, `jitter ${v.jitter} with only shimmer injected`);
    }
  });

  it('leaves out clipped peaks and periods across voice breaks', () => {
    const p = (t: number, amp: number, run: number, clipped = false): Pulse => ({ t, amp, run, clipped });
    const steady = Array.from({ length: 10 }, (_, i) => p(i * 0.01, 0.5, 1));
    // a second run 0.5 s later at another amplitude: no period or amplitude pair spans the break
    const next = Array.from({ length: 10 }, (_, i) => p(0.6 + i * 0.01, 0.2, 2));
    const v = voiceQuality([...steady, ...next], RANGE);
    assert.ok(v.jitter !== null && v.jitter < 1e-9 && v.shimmer !== null && v.shimmer < 1e-9, JSON.stringify(v));
    const clipped = steady.map((q, i) => (i % 2 ? { ...q, amp: 1, clipped: true } : q));
    assert.ok((voiceQuality(clipped, RANGE).shimmer ?? 0) < 1e-9 || voiceQuality(clipped, RANGE).shimmer === null);
  });
});
