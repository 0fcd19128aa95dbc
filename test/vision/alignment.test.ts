import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alignedCrops,
  alignmentAffine,
  CANONICAL_5,
  fivePoints,
  normaliseMesh,
  similarityTransform,
} from '../../src/vision/alignment.ts';
import { gazeFromIris } from '../../src/vision/gaze.ts';
import { headPose } from '../../src/vision/headPose.ts';
import { applyAffine, type Point2 } from '../../src/vision/imageOps.ts';
import { neutralUnitMesh, toFrame } from './syntheticFace.ts';

test('similarity transform recovers a known rotation, scale and shift', () => {
  const th = 0.3;
  const k = 2.5;
  const src: Point2[] = [
    [0, 0],
    [1, 0],
    [0.5, 0.7],
    [0.2, 1],
    [0.8, 1],
  ];
  const dst = src.map(
    ([x, y]) =>
      [k * (Math.cos(th) * x - Math.sin(th) * y) + 3, k * (Math.sin(th) * x + Math.cos(th) * y) - 1] as Point2,
  );
  const m = similarityTransform(src, dst);
  for (let i = 0; i < src.length; i++) {
    const [x, y] = applyAffine(m, src[i][0], src[i][1]);
    assert.ok(Math.hypot(x - dst[i][0], y - dst[i][1]) < 1e-9);
  }
});

test('alignment puts the 5 points near the canonical 112 template', () => {
  const lm = toFrame(neutralUnitMesh(), 0, {}, 0);
  const m = alignmentAffine(lm, 112);
  const pts = fivePoints(lm).map(([x, y]) => applyAffine(m, x, y));
  // eyes of the synthetic face sit exactly on a line, so they land within a few pixels of the template
  for (const i of [0, 1])
    assert.ok(Math.hypot(pts[i][0] - CANONICAL_5[i][0] * 112, pts[i][1] - CANONICAL_5[i][1] * 112) < 6);
});

test('the normalised mesh and AU measures ignore yaw; head pose reads it', () => {
  const unit = neutralUnitMesh();
  const a = normaliseMesh(toFrame(unit, 0, {}, 0));
  const b = normaliseMesh(toFrame(unit, 0, { yaw: 30 }, 0));
  let maxd = 0;
  for (let i = 0; i < a.length; i++) maxd = Math.max(maxd, Math.abs(a[i] - b[i]));
  assert.ok(maxd < 1e-4, `max diff ${maxd}`);
  assert.ok(Math.abs(a[3 * 263] - 0.75) < 1e-5 && Math.abs(a[3 * 33] + 0.75) < 1e-5);
  assert.ok(Math.abs(Math.abs(headPose(toFrame(unit, 0, { yaw: 30 }, 0)).yaw) - 30) < 0.5);
  assert.ok(Math.abs(headPose(toFrame(unit, 0, {}, 0)).yaw) < 0.5);
});

test('gaze: iris at the eye centre is straight ahead, shifted right is positive x', () => {
  const lm = toFrame(neutralUnitMesh(), 0, {}, 0);
  const rc: Point2 = [320 - 0.5 * 60, 240];
  const lc: Point2 = [320 + 0.5 * 60, 240];
  const g0 = gazeFromIris(lm, rc, lc);
  assert.ok(Math.abs(g0.x) < 1e-6 && Math.abs(g0.y) < 1e-6);
  const g1 = gazeFromIris(lm, [rc[0] + 6, rc[1]], [lc[0] + 6, lc[1]]);
  assert.ok(Math.abs(g1.x - 0.4) < 1e-6, `${g1.x}`);
});

test('aligned crops: the 64 grey and 112 RGB crops put the eyes where the template says', () => {
  const frame = { width: 640, height: 480, rgb: new Uint8Array(640 * 480 * 3) };
  const lm = toFrame(neutralUnitMesh(), 0, {}, 0);
  // a bright dot on the right eye centre (frame 290, 240)
  for (let y = 238; y <= 242; y++)
    for (let x = 288; x <= 292; x++) frame.rgb.fill(255, (y * 640 + x) * 3, (y * 640 + x) * 3 + 3);
  const c = alignedCrops(frame, lm);
  assert.equal(c.grey.length, 64 * 64);
  assert.equal(c.rgb.length, 112 * 112 * 3);
  const [ex, ey] = applyAffine(c.toGrey, 290, 240);
  assert.ok(c.grey[Math.round(ey) * 64 + Math.round(ex)] > 100);
  assert.ok(Math.hypot(ex - CANONICAL_5[0][0] * 64, ey - CANONICAL_5[0][1] * 64) < 4);
});
