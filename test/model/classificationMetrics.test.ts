import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeLabel } from '../../src/model/labels.ts';
import {
  classificationReport,
  confusionMatrix,
  formatConfusion,
  metricsFromConfusion,
} from '../../src/model/metrics.ts';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

test('metrics on a hand-made 3-class confusion matrix', () => {
  // rows true, columns predicted
  const m = [
    [8, 2, 0], // class 0: 10 samples, recall 0.8
    [1, 3, 0], // class 1: 4 samples, recall 0.75
    [0, 4, 2], // class 2: 6 samples, recall 1/3
  ];
  const r = metricsFromConfusion(m);
  assert.equal(r.n, 20);
  close(r.accuracy, 13 / 20);
  close(r.uar, (0.8 + 0.75 + 1 / 3) / 3);
  close(r.war, 13 / 20); // support-weighted recall = accuracy
  // F1: c0 2·8/(10+9); c1 2·3/(4+9); c2 2·2/(6+2)
  close(r.macro_f1, (16 / 19 + 6 / 13 + 4 / 8) / 3);
  assert.deepEqual(r.confusion, m);
});

test('classes absent from truth and predictions are left out of UAR and macro-F1', () => {
  const r = classificationReport([0, 0, 1, 1], [0, 1, 1, 1], 8);
  close(r.uar, (0.5 + 1) / 2);
  close(r.macro_f1, (2 / 3 + 0.8) / 2);
  assert.ok(Number.isNaN(r.recall[5]));
  // a class predicted but never true: its recall is undefined (not in UAR) but its F1 (0) counts
  const r2 = classificationReport([0, 0], [0, 3], 8);
  close(r2.uar, 0.5);
  close(r2.macro_f1, (2 / 3 + 0) / 2);
});

test('perfect and empty cases; bad indices are rejected', () => {
  const r = classificationReport([0, 1, 2, 7], [0, 1, 2, 7], 8);
  assert.equal(r.accuracy, 1);
  assert.equal(r.uar, 1);
  assert.equal(r.macro_f1, 1);
  const e = metricsFromConfusion(confusionMatrix([], [], 3));
  assert.deepEqual([e.accuracy, e.uar, e.war, e.macro_f1], [0, 0, 0, 0]);
  assert.throws(() => confusionMatrix([0], [9], 8), /out of range/);
  assert.throws(() => confusionMatrix([0], [], 8), /1 labels but 0/);
  assert.match(
    formatConfusion(
      [
        [1, 0],
        [0, 2],
      ],
      ['neutral', 'happy'],
    ),
    /neutral\s+1\s+0/,
  );
});

test('label spellings normalise to the 8 classes', () => {
  const cases: [string, string | null][] = [
    ['ANG', 'angry'],
    ['anger', 'angry'],
    ['Angry', 'angry'],
    ['DIS', 'disgusted'],
    ['disgust', 'disgusted'],
    ['FEA', 'fearful'],
    ['fear', 'fearful'],
    ['HAP', 'happy'],
    ['happiness', 'happy'],
    ['NEU', 'neutral'],
    ['SAD', 'sad'],
    ['sadness', 'sad'],
    ['SUR', 'surprised'],
    ['surprise', 'surprised'],
    ['CON', 'contempt'],
    [' contempt ', 'contempt'],
    ['boredom', null],
  ];
  for (const [raw, want] of cases) assert.equal(normalizeLabel(raw), want, raw);
});
