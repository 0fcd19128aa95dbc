import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MESH,
  MESH_POINTS,
  meshRoll,
  projectLandmarks,
  rectFromLandmarks,
  roiFromDetection,
} from '../../src/vision/faceMesh.ts';
import { applyAffine, invertAffine, rectToAffine } from '../../src/vision/imageOps.ts';

/** A fake 468-point set: points on a circle, the eye corners on a line rolled by `angle`. */
function fakeMesh(cx: number, cy: number, r: number, angle: number): Float32Array {
  const lm = new Float32Array(MESH_POINTS * 3);
  for (let i = 0; i < MESH_POINTS; i++) {
    const t = (2 * Math.PI * i) / MESH_POINTS;
    lm.set([cx + r * Math.cos(t), cy + r * Math.sin(t), i % 7], 3 * i);
  }
  const eye = (s: number) => [cx + s * 0.4 * r * Math.cos(angle), cy + s * 0.4 * r * Math.sin(angle), 0];
  lm.set(eye(-1), 3 * MESH.rightEyeOuter);
  lm.set(eye(1), 3 * MESH.leftEyeOuter);
  return lm;
}

describe('face mesh geometry', () => {
  it('round-trips landmarks: frame → crop (inverse) → frame (projection)', () => {
    const lm = fakeMesh(300, 200, 80, 0.4);
    const roi = rectFromLandmarks(lm, 1.5);
    const m = rectToAffine(roi, 192);
    const inv = invertAffine(m);
    const crop = new Float32Array(lm.length);
    for (let i = 0; i < MESH_POINTS; i++) {
      const [u, v] = applyAffine(inv, lm[3 * i], lm[3 * i + 1]);
      crop.set([u, v, lm[3 * i + 2] / (roi.size / 192)], 3 * i);
      assert.ok(u > 0 && u < 192 && v > 0 && v < 192, 'every point falls inside the crop');
    }
    const back = projectLandmarks(crop, m, MESH_POINTS);
    for (let i = 0; i < lm.length; i++) assert.ok(Math.abs(back[i] - lm[i]) < 1e-3, `coordinate ${i}`);
  });

  it('takes the roll from the eye line and centres the rect on the landmarks', () => {
    const lm = fakeMesh(300, 200, 80, 0.4);
    assert.ok(Math.abs(meshRoll(lm) - 0.4) < 1e-6);
    const r = rectFromLandmarks(lm, 1.5);
    assert.ok(Math.abs(r.cx - 300) < 0.5 && Math.abs(r.cy - 200) < 0.5);
    assert.ok(Math.abs(r.size - 160 * 1.5) < 0.5);
  });

  it('builds the detection ROI from the box and eye keypoints, upright for profile eyes', () => {
    const det = {
      box: { x: 100, y: 100, w: 100, h: 100 },
      score: 0.9,
      keypoints: [
        [130, 130],
        [170, 150],
        [150, 150],
        [150, 170],
        [110, 140],
        [190, 140],
      ] as [number, number][],
    };
    const r = roiFromDetection(det, 1.5);
    assert.deepEqual([r.cx, r.cy, r.size], [150, 150, 150]);
    assert.ok(Math.abs(r.angle - Math.atan2(20, 40)) < 1e-9);
    det.keypoints[1] = [135, 131];
    assert.equal(roiFromDetection(det, 1.5).angle, 0);
  });
});
