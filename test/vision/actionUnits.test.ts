import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ActionUnitEstimator,
  AU_INDEX,
  auFromMeasures,
  MEASURE_PRIOR,
  MEASURES,
} from '../../src/vision/actionUnits.ts';
import { NeutralBaseline } from '../../src/vision/neutralBaseline.ts';
import { browLower, neutralUnitMesh, smile, toFrame } from './syntheticFace.ts';

const unit = neutralUnitMesh();
/**
 * The synthetic face is a cartoon whose proportions lie up to 3 between-person σ off the population's neutral face
 * (neutralPrior.ts: cheeks +2.2σ, lip heights −3.2σ), so these formula tests run without the population prior; the
 * prior's own tests are below.
 */
const NO_PRIOR = { prior: false } as const;

test('neutral frames give near-zero AUs; a brow lowering gives AU4, a smile AU12 and AU6', () => {
  const est = new ActionUnitEstimator(NO_PRIOR);
  for (let f = 0; f < 60; f++) est.analyse(1, f / 30, toFrame(unit, f));
  const neutral = est.analyse(1, 2, toFrame(unit, 60));
  assert.ok(Math.max(...neutral.au) < 0.15, `${neutral.au}`);
  const brow = est.analyse(1, 2.033, toFrame(unit, 61, { offsets: browLower(1) }));
  assert.ok(brow.au[AU_INDEX.AU4] > 0.8);
  assert.ok(brow.au[AU_INDEX.AU12] < 0.15);
  const sm = est.analyse(1, 2.066, toFrame(unit, 62, { offsets: smile(1) }));
  assert.ok(sm.au[AU_INDEX.AU12] > 0.6 && sm.au[AU_INDEX.AU6] > 0.3, `${sm.au}`);
  const r = est.estimate(1, 2.1, toFrame(unit, 63, { offsets: smile(1) }), 1);
  assert.ok(r.AU12 < sm.au[AU_INDEX.AU12], 'speech damps AU12');
});

test('the neutral baseline is not the first frames and does not absorb a held expression', () => {
  const b = new NeutralBaseline(1, { windowS: 20, sampleEveryS: 0.2 });
  // 2 s expressive start (value 1), then 8 s neutral (0) with a 2 s expression (1) in between
  for (let f = 0; f < 300; f++) {
    const t = f / 30;
    const v = t < 2 || (t > 5 && t < 7) ? 1 : 0;
    b.offer(t, [v], 0);
  }
  assert.equal(b.values[0], 0);
  // high-motion frames are not sampled
  assert.equal(b.offer(100, [5], 10), false);
});

test('population prior: the baseline starts at the prior, ignores frames the nets do not call neutral, and hands over to the own median', () => {
  const prior = { mean: [1], spread: [0.1] };
  // no drift here: the hand-over alone (the drift has its own test)
  const b = new NeutralBaseline(1, { sampleEveryS: 0.2, priorWeight: 3, driftS: 0 }, prior);
  assert.equal(b.values[0], 1);
  assert.equal(b.priorShare, 1);
  // a posed face: expressive (value 2) from its first frame, the nets say not neutral → never sampled
  for (let f = 0; f < 60; f++) assert.equal(b.offer(f / 30, [2], 0, undefined, 0.1), false);
  assert.equal(b.values[0], 1);
  assert.equal(b.samples, 0);
  // then calm (value 0, neutral p 0.9): n own samples weigh n against the prior's 3
  let n = 0;
  for (let f = 60; f < 120; f++) if (b.offer(f / 30, [0], 0, undefined, 0.9)) n++;
  assert.equal(b.samples, n);
  assert.ok(n >= 9, `${n}`);
  assert.ok(Math.abs(b.values[0] - 3 / (3 + n)) < 1e-6, `${b.values[0]}`);
  assert.ok(Math.abs(b.priorShare - 3 / (3 + n)) < 1e-9);
});

test('identity dead zone: brows up to 1 between-person σ above the reference read no AU1, 3σ do', () => {
  // the dead zone the estimator uses while the reference is all prior (priorShare 1, identityK 1): z = σ_pop
  const est0 = new ActionUnitEstimator(NO_PRIOR);
  const first = est0.analyse(0, 0, toFrame(unit, 0));
  const m = first.measures;
  const iBrow = MEASURES.indexOf('innerBrow');
  const au1 = (shiftSigma: number) => {
    const mean = Float32Array.from(m);
    const spread = Float32Array.from(MEASURE_PRIOR.spread);
    mean[iBrow] -= shiftSigma * spread[iBrow];
    const out = auFromMeasures(m, mean, 0, 0.7, undefined, spread);
    return out[AU_INDEX.AU1];
  };
  assert.equal(au1(0), 0);
  assert.equal(au1(1), 0);
  assert.ok(au1(3) > 0.5, `${au1(3)}`);
});

test('population prior drifts slowly towards a face the nets never call neutral, at most driftMaxSigma σ', () => {
  const prior = { mean: [0], spread: [0.1] };
  const b = new NeutralBaseline(1, { sampleEveryS: 0.2, driftS: 120, driftMaxSigma: 2 }, prior);
  // a face 1.5σ off the population, never called neutral: after 4 s (a posed clip) the reference has barely moved
  let f = 0;
  for (; f < 4 * 30; f++) b.offer(f / 30, [0.15], 0, undefined, 0.1);
  assert.ok(b.values[0] < 0.01, `${b.values[0]}`);
  assert.equal(b.samples, 0);
  // after 2 minutes it has reached the face (2σ per 120 s), without any gated sample
  for (; f < 120 * 30; f++) b.offer(f / 30, [0.15], 0, undefined, 0.1);
  assert.ok(Math.abs(b.values[0] - 0.15) < 0.005, `${b.values[0]}`);
  // an extreme value (10σ: an expression, not a face) moves it to 2σ at most
  for (; f < 600 * 30; f++) b.offer(f / 30, [1], 0, undefined, 0.1);
  assert.ok(Math.abs(b.values[0] - 0.2) < 1e-6, `${b.values[0]}`);
  // fast motion does not drive it
  const c = new NeutralBaseline(1, { sampleEveryS: 0.2 }, prior);
  for (let k = 0; k < 120 * 30; k++) c.offer(k / 30, [0.15], 10, undefined, 0.1);
  assert.equal(c.values[0], 0);
});

/** A one-sided lip-corner pull (unilateral AU12/AU14, contempt): the subject's left corner up and back by `a`·0.05. */
function leftCornerPull(a: number): Record<number, [number, number]> {
  return { 291: [0.03 * a, -0.05 * a] };
}

test('lip-corner asymmetry: a one-sided pull reads, a symmetric smile does not; speech damps it', () => {
  const est = new ActionUnitEstimator(NO_PRIOR);
  for (let f = 0; f < 60; f++) est.analyse(1, f / 30, toFrame(unit, f));
  assert.ok(est.analyse(1, 2, toFrame(unit, 60)).asymmetry < 0.05);
  const one = est.analyse(1, 2.033, toFrame(unit, 61, { offsets: leftCornerPull(1) }));
  assert.ok(one.asymmetry > 0.7, `one-sided pull: ${one.asymmetry}`);
  // the other side pulled instead reads the same (unsigned)
  const right = est.analyse(1, 2.066, toFrame(unit, 62, { offsets: { 61: [-0.03, -0.05] } }));
  assert.ok(Math.abs(right.asymmetry - one.asymmetry) < 0.15, `${right.asymmetry} vs ${one.asymmetry}`);
  const sym = est.analyse(1, 2.1, toFrame(unit, 63, { offsets: smile(1) }));
  assert.ok(sym.au[AU_INDEX.AU12] > 0.6, 'the smile is an AU12');
  assert.ok(sym.asymmetry < 0.1, `symmetric smile: ${sym.asymmetry}`);
  const talking = est.analyse(1, 2.133, toFrame(unit, 64, { offsets: leftCornerPull(1) }), 1);
  assert.ok(talking.asymmetry < one.asymmetry * 0.5, 'speech damps it like AU12');
});

test('lip-corner asymmetry is a change against the own neutral: a crooked mouth is identity, the nets calling a pull neutral do not absorb it', () => {
  // a face whose left corner sits 0.015 IOD higher at rest (within 1 between-person σ of the population's)
  const crooked = neutralUnitMesh();
  crooked[3 * 291 + 1] -= 0.015;
  const est = new ActionUnitEstimator();
  let last = 1;
  for (let f = 0; f < 45; f++) last = est.analyse(1, f / 30, toFrame(crooked, f), 0, 0.9).asymmetry;
  assert.ok(last < 0.05, `crooked neutral mouth: ${last}`);
  // the same face pulling its left corner for 5 s while the nets (no contempt class) keep calling it neutral: the
  // pull never becomes the reference (it would, from the window median, after 1.5 s)
  let min = 1;
  for (let f = 45; f < 195; f++) {
    const a = est.analyse(1, f / 30, toFrame(crooked, f, { offsets: leftCornerPull(1) }), 0, 0.9).asymmetry;
    if (f >= 165) min = Math.min(min, a);
  }
  assert.ok(min > 0.5, `held one-sided pull, last second: min ${min}`);
});
