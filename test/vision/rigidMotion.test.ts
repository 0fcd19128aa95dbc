/**
 * Rigid head rotation from a real mesh (the face-api demo photo's faces): a known 3-D rotation, plus translation and
 * scale, is recovered; large expression-like moves of brows, lips and jaw do not register as rotation.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import { FaceStack } from '../../src/vision/faceStack.ts';
import { RIGID_POINTS, rigidRotationDeg } from '../../src/vision/rigidMotion.ts';
import { DEMO_DIR, loadFrame } from './fixtures.ts';

const cache = new OrtSessionCache({ intraOpThreads: 1 });
let mesh: Float32Array;
before(async () => {
  const stack = await FaceStack.load({ cache });
  const faces = await stack.detect(await loadFrame(join(DEMO_DIR, 'sample3.jpg'), { width: 1280 }));
  assert.ok(faces.length > 0, 'the demo photo has faces');
  mesh = faces[0].mesh.landmarks;
});
after(() => cache.releaseAll());

/** Rotates about the mesh's centroid by yaw (about y) then pitch (about x), scales and shifts. */
function moved(lm: Float32Array, yawDeg: number, pitchDeg: number, scale = 1, shift = [0, 0, 0]): Float32Array {
  const n = lm.length / 3;
  const c = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) c[k] += lm[3 * i + k] / n;
  const [cy, sy] = [Math.cos((yawDeg * Math.PI) / 180), Math.sin((yawDeg * Math.PI) / 180)];
  const [cp, sp] = [Math.cos((pitchDeg * Math.PI) / 180), Math.sin((pitchDeg * Math.PI) / 180)];
  const out = new Float32Array(lm.length);
  for (let i = 0; i < n; i++) {
    const x = lm[3 * i] - c[0];
    const y = lm[3 * i + 1] - c[1];
    const z = lm[3 * i + 2] - c[2];
    const x1 = cy * x + sy * z;
    const z1 = -sy * x + cy * z;
    const y2 = cp * y - sp * z1;
    const z2 = sp * y + cp * z1;
    out[3 * i] = scale * x1 + c[0] + shift[0];
    out[3 * i + 1] = scale * y2 + c[1] + shift[1];
    out[3 * i + 2] = scale * z2 + c[2] + shift[2];
  }
  return out;
}

test('a known rotation is recovered, whatever the translation and scale', () => {
  assert.ok(rigidRotationDeg(mesh, mesh) < 1e-3);
  assert.ok(Math.abs(rigidRotationDeg(mesh, moved(mesh, 6, 0)) - 6) < 0.05);
  assert.ok(Math.abs(rigidRotationDeg(mesh, moved(mesh, 0, -4)) - 4) < 0.05);
  // yaw 3 then pitch 4: the composed rotation's angle is acos((trace − 1) / 2) ≈ 4.997°
  assert.ok(Math.abs(rigidRotationDeg(mesh, moved(mesh, 3, 4, 1.3, [40, -25, 7])) - 4.997) < 0.05);
  assert.ok(rigidRotationDeg(mesh, moved(mesh, 0, 0, 0.7, [100, 50, 0])) < 1e-3);
});

test('moving brows, lips and jaw by a tenth of the face is not a rotation', () => {
  const rigid = new Set(RIGID_POINTS);
  const expressive = mesh.slice();
  const ys = RIGID_POINTS.map((p) => mesh[3 * p + 1]);
  const size = Math.max(...ys) - Math.min(...ys);
  for (let i = 0; i < mesh.length / 3; i++) if (!rigid.has(i)) expressive[3 * i + 1] += (i % 2 ? 0.1 : -0.1) * size;
  assert.ok(rigidRotationDeg(mesh, expressive) < 1e-3);
  assert.ok(Math.abs(rigidRotationDeg(mesh, moved(expressive, 5, 0)) - 5) < 0.05);
});
