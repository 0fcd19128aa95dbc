import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SegmenterEvent, UtteranceSegmenter } from '../../src/audio/utteranceSegmenter.ts';

const DUR = 0.032;
/** Feeds probabilities chunk by chunk from t = 0 and returns every boundary. */
function run(probs: number[], opts = {}): SegmenterEvent[] {
  const seg = new UtteranceSegmenter(opts);
  const out = probs.flatMap((p, i) => seg.push(i * DUR, DUR, p));
  return [...out, ...seg.flush(probs.length * DUR)];
}
const repeat = (p: number, n: number) => new Array(n).fill(p);

describe('UtteranceSegmenter', () => {
  it('starts once speech is confirmed, stamped at the onset, and ends after the hangover', () => {
    // 10 chunks silence, 40 speech (1.28 s), 30 silence
    const ev = run([...repeat(0.01, 10), ...repeat(0.99, 40), ...repeat(0.01, 30)]);
    assert.equal(ev.length, 2);
    const [s, e] = ev;
    assert.equal(s.kind, 'utterance.start');
    assert.ok(Math.abs(s.start - 0.32) < 1e-9, `start ${s.start}`);
    // confirmed after minSpeech 0.2 s → first chunk end ≥ 0.52
    assert.ok(s.t >= 0.52 && s.t < 0.52 + DUR + 1e-9, `decided at ${s.t}`);
    assert.equal(e.kind, 'utterance.end');
    assert.ok(e.kind === 'utterance.end' && Math.abs(e.end - 1.6) < 1e-9, `end ${e.kind === 'utterance.end' && e.end}`);
    // decided once 0.55 s of silence have passed: the chunk ending at or after 1.6 + 0.55
    assert.ok(e.t >= 2.15 - 1e-9 && e.t < 2.15 + DUR + 1e-9, `end decided at ${e.t}`);
    assert.equal(s.utteranceId, e.utteranceId);
  });

  it('ignores blips shorter than the minimum speech and dips shorter than the hangover', () => {
    assert.deepEqual(run([...repeat(0.01, 5), ...repeat(0.9, 3), ...repeat(0.01, 40)]), []);
    const ev = run([...repeat(0.9, 20), ...repeat(0.1, 10), ...repeat(0.9, 20), ...repeat(0.01, 30)]);
    assert.deepEqual(
      ev.map((e) => e.kind),
      ['utterance.start', 'utterance.end'],
    );
  });

  it('keeps speech going between the thresholds (hysteresis)', () => {
    const ev = run([...repeat(0.9, 10), ...repeat(0.4, 60), ...repeat(0.01, 30)]);
    assert.equal(ev.length, 2);
    const end = ev[1];
    assert.ok(end.kind === 'utterance.end' && end.end > 2, 'speech at p = 0.4 continues the utterance');
  });

  it('splits a monologue at the maximum length and marks the next part a continuation', () => {
    const ev = run(repeat(0.99, Math.round(25 / DUR)), { maxUtteranceS: 10 });
    const kinds = ev.map((e) => `${e.kind}${e.continuation ? '+' : ''}`);
    assert.deepEqual(kinds, [
      'utterance.start',
      'utterance.end',
      'utterance.start+',
      'utterance.end+',
      'utterance.start+',
      'utterance.end+',
    ]);
    const ends = ev.filter((e) => e.kind === 'utterance.end');
    assert.ok(ends[0].kind === 'utterance.end' && Math.abs(ends[0].end - ends[0].start - 10) < DUR + 1e-9);
    assert.equal(ev[2].kind === 'utterance.start' && ev[2].start, ends[0].kind === 'utterance.end' && ends[0].end);
  });

  it('stamps the end at the last loud block and decides it between chunks when loudness is reported', () => {
    // speech 0.32–1.6 s, but the VAD keeps p = 0.99 for one chunk after it (its LSTM lag), then decays
    const probs = [...repeat(0.01, 10), ...repeat(0.99, 41), 0.8, 0.5, ...repeat(0.01, 30)];
    const seg = new UtteranceSegmenter();
    const ev: SegmenterEvent[] = [];
    for (let i = 0; i < probs.length; i++) {
      // 5 ms loudness blocks inside the chunk, loud only within the true speech
      for (let b = 1; b <= 6; b++) {
        const end = i * DUR + (b * DUR) / 6;
        if (end > 0.32 + 1e-9 && end <= 1.6 + 1e-9) seg.noteLoud(end);
        ev.push(...seg.advance(end));
      }
      ev.push(...seg.push(i * DUR, DUR, probs[i]));
    }
    const end = ev.find((e) => e.kind === 'utterance.end');
    assert.ok(end?.kind === 'utterance.end');
    assert.ok(Math.abs(end.end - 1.6) < 1e-9, `end ${end.end}`);
    // decided at the first loudness block after 1.6 + 0.55 s, not at the next chunk boundary
    assert.ok(end.t >= 2.15 - 1e-9 && end.t <= 2.15 + DUR / 6 + 1e-9, `decided at ${end.t}`);
    // without loudness reports the same probabilities put the end one chunk late (the VAD's lag)
    const plain = run(probs).find((e) => e.kind === 'utterance.end');
    assert.ok(plain?.kind === 'utterance.end' && Math.abs(plain.end - (1.6 + DUR)) < 1e-9, `plain end ${plain?.t}`);
  });

  it('rejects inconsistent thresholds', () => {
    assert.throws(() => new UtteranceSegmenter({ activation: 0.3, deactivation: 0.5 }), /deactivation/);
  });
});
