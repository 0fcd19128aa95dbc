import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProsodyAnalyzer } from '../../src/audio/prosodyAnalyzer.ts';
import { AudioInputError } from '../../src/audio/sileroVad.ts';

const SR = 16000;

/** Voiced tone segments [start, end, F0 Hz, RMS dBFS] with 5 Hz ±2 % vibrato, silence elsewhere. */
function voice(seconds: number, parts: [number, number, number, number][]): Float32Array {
  const x = new Float32Array(seconds * SR);
  let ph = 0;
  for (let i = 0; i < x.length; i++) {
    const t = i / SR;
    const p = parts.find(([s, e]) => t >= s && t < e);
    if (!p) continue;
    ph += (2 * Math.PI * p[2] * (1 + 0.02 * Math.sin(2 * Math.PI * 5 * t))) / SR;
    x[i] = Math.SQRT2 * 10 ** (p[3] / 20) * Math.sin(ph);
  }
  return x;
}

/** One period of a pulse whose positive peak (1 at phase 0) clearly beats its trough, like a glottal pulse. */
const pulseShape = (phase: number) => (Math.cos(2 * Math.PI * phase) + 0.5 * Math.cos(4 * Math.PI * phase)) / 1.5;

function analyse(x: Float32Array): ProsodyAnalyzer {
  const pa = new ProsodyAnalyzer();
  for (let i = 0; i < x.length; i += 480) pa.push(x.subarray(i, i + 480), i / SR);
  return pa;
}

describe('ProsodyAnalyzer (utterance summaries, speaker baseline, cues)', () => {
  it('says "pitch rose 30 % above baseline" for a voice raised 30 % after two baseline utterances', () => {
    // baseline at 150 Hz, −24 dBFS; each baseline utterance has a 0.15 s squeak an octave up (an outlier the
    // median must ignore); then the same voice at 195 Hz (+30 %) and 8 dB louder
    const x = voice(6.5, [
      [0.5, 1.85, 150, -24],
      [1.85, 2.0, 300, -24],
      [2.5, 3.85, 150, -24],
      [3.85, 4.0, 300, -24],
      [4.5, 6.0, 195, -16],
    ]);
    const pa = analyse(x);
    const first = pa.utterance(0.5, 2.0);
    assert.equal(first.summary.relative.f0Pct, null, 'no baseline before the first utterance');
    // the octave squeak is 10 % of the frames: it sets the 5–95 % range (an octave), not the median
    assert.deepEqual(
      first.cues.map((c) => c.text),
      ['lively pitch (range 12 semitones)'],
    );
    assert.ok(Math.abs(first.summary.f0Median! / 150 - 1) < 0.02, `median F0 ${first.summary.f0Median}`);
    const second = pa.utterance(2.5, 4.0);
    assert.ok(Math.abs(second.summary.relative.f0Pct!) < 2, `second vs baseline ${second.summary.relative.f0Pct} %`);
    assert.ok(Math.abs(second.summary.relative.energyDb!) < 0.5);
    assert.deepEqual(
      second.cues.filter((c) => c.kind !== 'pitchRange'),
      [],
    );
    const raised = pa.utterance(4.5, 6.0);
    const s = raised.summary;
    assert.ok(Math.abs(s.relative.f0Pct! - 30) < 2, `raised by ${s.relative.f0Pct} %`);
    assert.ok(Math.abs(s.relative.energyDb! - 8) < 0.5, `louder by ${s.relative.energyDb} dB`);
    const pitch = raised.cues.find((c) => c.kind === 'pitch');
    assert.ok(pitch, JSON.stringify(raised.cues));
    assert.match(pitch.text, /^pitch rose (29|30|31) % above baseline at [4-6]\.\d s$/);
    assert.ok(pitch.at >= 4.5 && pitch.at <= 6);
    const loud = raised.cues.find((c) => c.kind === 'loudness');
    assert.equal(loud?.text, 'voice 8 dB louder than baseline');
    // range of a ±2 % vibrato: ~0.7 semitones → flat pitch
    assert.ok(s.f0RangeSt! > 0.4 && s.f0RangeSt! < 1, `range ${s.f0RangeSt}`);
    assert.ok(raised.cues.some((c) => c.kind === 'pitchRange' && /^flat pitch/.test(c.text)));
    // per-speaker: another speaker key has no baseline yet
    assert.equal(pa.utterance(4.5, 6.0, { speaker: 'other', update: false }).summary.relative.f0Pct, null);
  });

  it('flags an unsteady voice against the same speaker’s steadier baseline (jitter cue)', () => {
    // pulses peaking at each period start at 140 Hz; period perturbation of ±1 % in three baseline utterances,
    // then ±6 %
    let s = 7;
    const rnd = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return (2 * s) / 2147483648 - 1;
    };
    const x = new Float32Array(8 * SR);
    const spans: [number, number, number][] = [
      [0.5, 1.7, 0.01],
      [2.2, 3.4, 0.01],
      [3.9, 5.1, 0.01],
      [5.6, 6.8, 0.06],
    ];
    for (const [a, b, size] of spans) {
      let start = a * SR;
      while (start < b * SR) {
        const T = (SR / 140) * (1 + size * rnd());
        for (let n = Math.ceil(start); n < start + T; n++) x[n] = 0.2 * pulseShape((n - start) / T);
        start += T;
      }
    }
    const pa = analyse(x);
    const base = spans.slice(0, 3).map(([a, b]) => pa.utterance(a, b));
    for (const u of base) assert.ok(!u.cues.some((c) => c.kind === 'jitter'), JSON.stringify(u.cues));
    const shaky = pa.utterance(spans[3][0], spans[3][1]);
    const j = shaky.cues.find((c) => c.kind === 'jitter');
    assert.ok(j, JSON.stringify(shaky.cues));
    assert.match(j.text, /^unsteady pitch: jitter \d\.\d % \(\d+\.\d× baseline\)$/);
    assert.ok(
      shaky.summary.jitter! > 3 * base[2].summary.jitter!,
      `${shaky.summary.jitter} vs ${base[2].summary.jitter}`,
    );
  });

  it('rejects a wrong sample rate and keeps going over NaN buffers', () => {
    assert.throws(() => new ProsodyAnalyzer({}, 44100), AudioInputError);
    const pa = new ProsodyAnalyzer();
    assert.deepEqual(pa.push(new Float32Array(0), 0), []);
    const fs = pa.push(new Float32Array(3200).fill(Number.NaN), 0);
    assert.ok(fs.length > 0 && fs.every((f) => f.f0 === 0));
    const u = pa.utterance(0, 0.2);
    assert.equal(u.summary.f0Median, null);
    assert.equal(u.summary.nuclei, 0);
    assert.deepEqual(u.cues, []);
  });
});
