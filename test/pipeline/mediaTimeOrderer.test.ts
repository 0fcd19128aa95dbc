import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaTimeOrderer } from '../../src/pipeline/mediaTimeOrderer.ts';

describe('MediaTimeOrderer', () => {
  it('releases events in media-time order once both lanes have passed them', () => {
    const out: string[] = [];
    const o = new MediaTimeOrderer<string>(2, (x) => out.push(x));
    o.add(0, 1.0, 'utt.start@1.0');
    o.advance(0, 2.0);
    assert.deepEqual(out, [], 'video has not reached 1.0 yet');
    o.add(1, 0.5, 'face@0.5');
    o.advance(1, 0.5);
    assert.deepEqual(out, ['face@0.5']);
    o.add(1, 1.0, 'face@1.0');
    o.advance(1, 1.0);
    assert.deepEqual(out, ['face@0.5', 'utt.start@1.0', 'face@1.0'], 'ties go to the lower lane');
    o.add(0, 3.0, 'utt.end@3.0');
    o.close(1);
    assert.equal(o.size, 0);
    assert.equal(out.at(-1), 'utt.end@3.0');
  });

  it('gives the same order whatever the arrival interleaving', () => {
    const events: [number, number, string][] = [
      [0, 0.2, 'a1'],
      [1, 0.1, 'v1'],
      [1, 0.3, 'v2'],
      [0, 0.3, 'a2'],
      [1, 0.4, 'v3'],
    ];
    // Each lane is in order by itself; only the interleaving between lanes differs.
    const videoFirst = [...events.filter((e) => e[0] === 1), ...events.filter((e) => e[0] === 0)];
    const runs = [events, videoFirst].map((evs) => {
      const out: string[] = [];
      const o = new MediaTimeOrderer<string>(2, (x) => out.push(x));
      for (const [lane, t, x] of evs) o.add(lane, t, x);
      o.flush();
      return out;
    });
    assert.deepEqual(runs[0], ['v1', 'a1', 'a2', 'v2', 'v3']);
    assert.deepEqual(runs[1], runs[0]);
  });

  it('bounds what a stalled lane can hold back', () => {
    const out: number[] = [];
    const o = new MediaTimeOrderer<number>(2, (x) => out.push(x), 5);
    for (let i = 0; i < 8; i++) o.add(0, i, i);
    assert.equal(o.size, 5);
    assert.deepEqual(out, [0, 1, 2]);
  });
});
