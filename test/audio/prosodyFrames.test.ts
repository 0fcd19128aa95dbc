import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { type ProsodyFrame, ProsodyFrames } from '../../src/audio/prosodyFrames.ts';
import { AudioInputError } from '../../src/audio/sileroVad.ts';
import type { Pulse } from '../../src/audio/voiceQuality.ts';
import { FFMPEG } from '../harness/clips.ts';

const SR = 16000;

/** Feeds x from media time t0 in chunks of `chunk` samples; returns every frame. */
function frames(x: Float32Array, chunk = 333, t0 = 2): ProsodyFrame[] {
  const pf = new ProsodyFrames();
  const out: ProsodyFrame[] = [];
  const pulses: Pulse[] = [];
  for (let i = 0; i < x.length; i += chunk) pf.push(x.subarray(i, i + chunk), t0 + i / SR, out, pulses);
  return out;
}

/** A sine whose frequency follows f(t) (phase-integrated), amplitude for an RMS level of `db` dBFS. */
function tone(seconds: number, f: (t: number) => number, db = -12): Float32Array {
  const a = Math.SQRT2 * 10 ** (db / 20);
  const x = new Float32Array(Math.round(seconds * SR));
  let ph = 0;
  for (let i = 0; i < x.length; i++) {
    x[i] = a * Math.sin(ph);
    ph += (2 * Math.PI * f(i / SR)) / SR;
  }
  return x;
}

/** Frames whose analysis windows lie inside the signal (not the zero-padded start or the unfinished end). */
const inside = (fs: ProsodyFrame[], t0: number, seconds: number) =>
  fs.filter((f) => f.t >= t0 + 0.03 && f.t <= t0 + seconds - 0.03);

describe('ProsodyFrames (YIN F0, voicing, RMS level per 10 ms)', () => {
  for (const hz of [120, 220]) {
    it(`finds the F0 of a ${hz} Hz tone within 2 % in every frame, voiced`, () => {
      const fs = inside(frames(tone(1, () => hz)), 2, 1);
      assert.ok(fs.length >= 90, `${fs.length} frames`);
      for (const f of fs) {
        assert.ok(Math.abs(f.f0 / hz - 1) < 0.02, `F0 ${f.f0} at ${f.t}`);
        assert.ok(f.voicing > 0.9, `voicing ${f.voicing}`);
      }
      // frames on a 10 ms grid from the first sample's time
      const all = frames(tone(1, () => hz));
      assert.ok(Math.abs(all[0].t - 2) < 1e-9 && Math.abs(all[7].t - 2.07) < 1e-9);
    });
  }

  it('follows a 120 → 240 Hz glide over 1 s within 2 % of the instantaneous frequency', () => {
    // 0.1 s at 120 Hz, the linear glide over 1 s, 0.1 s at 240 Hz
    const f = (t: number) => (t < 0.1 ? 120 : t > 1.1 ? 240 : 120 + 120 * (t - 0.1));
    const fs = inside(frames(tone(1.2, f), 160), 2, 1.2);
    assert.ok(fs.length >= 110);
    let worst = 0;
    for (const fr of fs) worst = Math.max(worst, Math.abs(fr.f0 / f(fr.t - 2) - 1));
    assert.ok(worst < 0.02, `worst relative error ${worst}`);
  });

  for (const db of [-12, -30]) {
    it(`measures a ${db} dBFS sine within 0.5 dB (and agrees with ffmpeg astats)`, () => {
      const x = tone(1, () => 1000, db);
      const fs = inside(frames(x), 2, 1);
      for (const f of fs) assert.ok(Math.abs(f.db - db) < 0.5, `level ${f.db}`);
      // independent check of the test signal itself: ffmpeg's RMS level of the same samples
      const r = spawnSync(
        FFMPEG,
        ['-hide_banner', '-f', 'f32le', '-ar', '16000', '-ac', '1', '-i', '-', '-af', 'astats', '-f', 'null', '-'],
        { input: Buffer.from(x.buffer) },
      );
      const overall = r.stderr.toString().split('Overall')[1] ?? '';
      const rms = Number(/RMS level dB: (-?[\d.]+)/.exec(overall)?.[1]);
      assert.ok(Math.abs(rms - db) < 0.05, `ffmpeg says ${rms} dB`);
    });
  }

  it('calls white noise unvoiced (low voicing probability)', () => {
    let s = 12345;
    const x = new Float32Array(SR).map(() => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return 0.3 * (s / 2147483648 - 0.5);
    });
    const fs = inside(frames(x), 2, 1);
    const mean = fs.reduce((a, f) => a + f.voicing, 0) / fs.length;
    assert.ok(mean < 0.3, `mean voicing ${mean}`);
    assert.equal(fs.filter((f) => f.f0 > 0).length, 0);
  });

  it('gives the same frames whatever the chunk size (deterministic streaming)', () => {
    const x = tone(0.5, (t) => 150 + 40 * t);
    const a = frames(x, 1);
    const b = frames(x, 4096);
    const c = frames(x, 320);
    assert.equal(a.length, b.length);
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
  });

  it('handles bad input: wrong rate, empty, NaN, clipping, time going back, gaps', () => {
    assert.throws(
      () => new ProsodyFrames({}, 48000),
      (e: unknown) => e instanceof AudioInputError && /16000/.test(`${e}`),
    );
    const pf = new ProsodyFrames();
    const out: ProsodyFrame[] = [];
    const pulses: Pulse[] = [];
    pf.push(new Float32Array(0), 0, out, pulses);
    assert.equal(out.length, 0);
    // NaN samples are silence, counted
    pf.push(new Float32Array(1600).fill(Number.NaN), 0, out, pulses);
    assert.equal(pf.stats.nonFiniteSamples, 1600);
    assert.ok(out.length > 0 && out.every((f) => f.db === -120 && f.f0 === 0 && f.voicing === 0));
    // a square wave at ±3: clamped, counted, frames marked clipped, still pitched
    const sq = new Float32Array(3200).map((_, i) => (Math.floor(i / 40) % 2 ? -3 : 3));
    const before = out.length;
    pf.push(sq, 0.1, out, pulses);
    assert.equal(pf.stats.clippedSamples, 3200);
    const mid = out.slice(before).filter((f) => f.t > 0.13 && f.t < 0.27);
    assert.ok(mid.length > 5 && mid.every((f) => f.clipped && Math.abs(f.f0 - 200) < 4), JSON.stringify(mid[0]));
    assert.throws(() => pf.push(new Float32Array(10), 0.2, out, pulses), /goes back/);
    // a 20 ms gap is filled with silence: the grid stays on 10 ms steps
    const n = out.length;
    pf.push(new Float32Array(1600), 0.32, out, pulses);
    const ts = out.slice(n - 1).map((f) => f.t);
    for (let i = 1; i < ts.length; i++) assert.ok(Math.abs(ts[i] - ts[i - 1] - 0.01) < 1e-9);
    // a 1 s gap restarts the grid at the new time
    const m = out.length;
    pf.push(new Float32Array(1600), 1.5, out, pulses);
    assert.ok(Math.abs(out[m].t - 1.5) < 1e-9, `restarted at ${out[m].t}`);
  });
});
