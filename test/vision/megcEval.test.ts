import assert from 'node:assert/strict';
import { test } from 'node:test';
import { intervalIou, megcEvaluate } from '../../src/vision/megcEval.ts';

test('interval IoU', () => {
  assert.equal(intervalIou({ onset: 0, offset: 10 }, { onset: 5, offset: 15 }), 5 / 15);
  assert.equal(intervalIou({ onset: 0, offset: 1 }, { onset: 2, offset: 3 }), 0);
});

test('MEGC scoring on hand-made intervals: IoU ≥ 0.5 matches once, per video', () => {
  const truth = [
    { onset: 10, offset: 20, video: 'a' },
    { onset: 50, offset: 60, video: 'a' },
    { onset: 10, offset: 20, video: 'b' },
  ];
  const spotted = [
    { onset: 11, offset: 21, video: 'a' }, // TP (IoU 9/11)
    { onset: 12, offset: 20, video: 'a' }, // same truth already taken → FP
    { onset: 55, offset: 70, video: 'a' }, // IoU 5/20 → FP
    { onset: 10, offset: 20, video: 'c' }, // other video → FP
  ];
  const s = megcEvaluate(spotted, truth);
  assert.deepEqual([s.tp, s.fp, s.fn], [1, 3, 2]);
  assert.equal(s.precision, 0.25);
  assert.equal(s.recall, 1 / 3);
  assert.ok(Math.abs(s.f1 - (2 * 0.25 * (1 / 3)) / (0.25 + 1 / 3)) < 1e-12);
  assert.deepEqual(megcEvaluate([], []), { tp: 0, fp: 0, fn: 0, precision: 0, recall: 0, f1: 0 });
});
