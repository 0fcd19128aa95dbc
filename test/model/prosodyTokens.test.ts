import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProsodyAnalyzer } from '../../src/audio/prosodyAnalyzer.ts';
import { ProsodyTokenizer } from '../../src/model/prosodyTokens.ts';
import { PROSODY_INPUT as P, PROSODY_INPUT_DIM, type TimedToken } from '../../src/model/tokens.ts';

const SR = 16000;

/** [seconds, F0 Hz (0 = silence), RMS dBFS] pieces, phase-continuous. */
function signal(parts: [number, number, number][]): Float32Array {
  const x = new Float32Array(Math.round(parts.reduce((a, p) => a + p[0], 0) * SR));
  let i = 0;
  let ph = 0;
  for (const [s, f, db] of parts) {
    for (const end = i + Math.round(s * SR); i < end; i++) {
      ph += (2 * Math.PI * f) / SR;
      x[i] = f > 0 ? Math.SQRT2 * 10 ** (db / 20) * Math.sin(ph) : 0;
    }
  }
  return x;
}

test('prosody tokens: one per 32 ms hop in the PROSODY layout, from the audio module’s F0 and level', () => {
  const x = signal([
    [0.5, 0, 0],
    [2, 150, -26],
    [1, 300, -14],
  ]);
  const tok = new ProsodyTokenizer();
  const out: TimedToken[] = [];
  for (let i = 0; i < x.length; i += 533) out.push(...tok.push(x.subarray(i, i + 533), 10 + i / SR, 0.7));
  // hops end at 10.032, 10.064, … (the first sample's time + k·32 ms); the last ~25 ms wait for more audio
  assert.ok(out.length >= 108 && out.length <= 109, `${out.length} tokens`);
  out.forEach((o, k) => {
    assert.ok(Math.abs(o.t - (10 + 0.032 * (k + 1))) < 1e-9);
    assert.equal(o.token.length, PROSODY_INPUT_DIM);
    assert.ok(Math.abs(o.token[P.speech] - 0.7) < 1e-6);
  });
  const at = (t: number) => out.find((o) => o.t >= 10 + t)!.token;
  // silence: unvoiced, no F0
  assert.equal(at(0.2)[P.voiced], 0);
  assert.equal(at(0.2)[P.logF0], 0);
  // 150 Hz: log2(F0/150) = 0; 300 Hz an octave up, 12 dB louder
  assert.equal(at(1.5)[P.voiced], 1);
  assert.ok(Math.abs(at(1.5)[P.logF0]) < 0.01, `logF0 ${at(1.5)[P.logF0]}`);
  assert.ok(Math.abs(at(2.9)[P.logF0] - 1) < 0.01, `logF0 ${at(2.9)[P.logF0]}`);
  // against the running voiced median (150 Hz for 2 s, then 300 Hz): an octave = 12 semitones = 1
  assert.ok(Math.abs(at(2.9)[P.f0] - 1) < 0.05, `relative F0 ${at(2.9)[P.f0]}`);
  assert.ok(at(2.9)[P.energy] > at(1.5)[P.energy], 'louder part has more energy than the median');
  const base = tok.baseline();
  assert.ok(base.f0 !== null && Math.abs(base.f0 / 150 - 1) < 0.02, `baseline F0 ${base.f0}`);
  assert.ok(base.db !== null && Math.abs(base.db + 26) < 0.5, `baseline level ${base.db}`);
  // hop frames for explanations: F0 in Hz and level in dBFS
  const f = tok.frames.find((fr) => fr.t >= 11.5)!;
  assert.ok(Math.abs(f.f0 - 150) < 2 && Math.abs(f.db + 26) < 0.5, JSON.stringify(f));
  // a chunk going back in time restarts the analysis instead of throwing
  assert.doesNotThrow(() => tok.push(x.subarray(0, 1600), 10));
});

test('tokens from the audio analyzer’s frames equal tokens from the PCM (one pitch analysis per stream)', () => {
  const x = signal([
    [0.4, 0, 0],
    [1.2, 140, -24],
    [0.3, 0, 0],
    [1, 260, -16],
  ]);
  const fromPcm = new ProsodyTokenizer();
  const fromFrames = new ProsodyTokenizer();
  const analyzer = new ProsodyAnalyzer();
  const a: TimedToken[] = [];
  const b: TimedToken[] = [];
  for (let i = 0; i < x.length; i += 512) {
    const chunk = x.slice(i, i + 512);
    a.push(...fromPcm.push(chunk, i / SR, 0.4));
    b.push(...fromFrames.pushFrames(analyzer.push(chunk, i / SR), 0.4));
  }
  assert.ok(a.length > 80, `${a.length} tokens`);
  assert.deepEqual(
    b.map((o) => [o.t, [...o.token]]),
    a.map((o) => [o.t, [...o.token]]),
  );
  assert.deepEqual(fromFrames.baseline(), fromPcm.baseline());
});
