import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VisualSpeech } from '../../src/vision/visualSpeech.ts';

const FPS = 25;
/** Runs a lip-gap signal (IOD units) through a detector; returns the flag per frame. */
function run(gap: (t: number) => number, seconds: number): number[] {
  const vs = new VisualSpeech();
  return Array.from({ length: seconds * FPS }, (_, i) => vs.push(i / FPS, gap(i / FPS)));
}
/** deterministic ±0.005 IOD wobble of a closed mouth at rest */
const wobble = (t: number) => 0.005 * Math.sin(t * 91.7) * Math.cos(t * 13.1);

test('a closed mouth at rest is not articulation', () => {
  assert.deepEqual(new Set(run((t) => 0.02 + wobble(t), 4)), new Set([0]));
});

test('syllables (4 Hz, 0.1 IOD openings) are articulation within half a second, and stop within a second after', () => {
  const flags = run(
    (t) => 0.02 + wobble(t) + (t >= 1 && t < 3 ? 0.05 * (1 - Math.cos(2 * Math.PI * 4 * (t - 1))) : 0),
    5,
  );
  const first = flags.indexOf(1) / FPS;
  const last = flags.lastIndexOf(1) / FPS;
  assert.ok(first >= 1 && first <= 1.5, `articulation from ${first} s`);
  assert.ok(last >= 2.9 && last <= 4, `articulation until ${last} s`);
  // continuous while the syllables go on
  assert.deepEqual(new Set(flags.slice(Math.ceil(first * FPS), 3 * FPS)), new Set([1]));
});

test('one opening and closing (a smile parting the lips for 300 ms, a jaw drop) is not articulation', () => {
  assert.deepEqual(new Set(run((t) => 0.02 + wobble(t) + (t >= 1 && t < 1.3 ? 0.15 : 0), 3)), new Set([0]));
  assert.deepEqual(new Set(run((t) => 0.02 + wobble(t) + (t >= 1 ? 0.3 : 0), 3)), new Set([0]));
});

test('missing values are ignored', () => {
  const vs = new VisualSpeech();
  assert.equal(vs.push(0, Number.NaN), 0);
  assert.equal(vs.push(0.04, 0.02), 0);
});
