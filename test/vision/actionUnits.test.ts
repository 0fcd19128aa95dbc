import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActionUnitEstimator, AU_INDEX } from '../../src/vision/actionUnits.ts';
import { NeutralBaseline } from '../../src/vision/neutralBaseline.ts';
import { browLower, neutralUnitMesh, smile, toFrame } from './syntheticFace.ts';

const unit = neutralUnitMesh();

test('neutral frames give near-zero AUs; a brow lowering gives AU4, a smile AU12 and AU6', () => {
  const est = new ActionUnitEstimator();
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
