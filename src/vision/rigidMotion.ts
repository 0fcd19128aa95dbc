/**
 * Rigid head rotation between two meshes, from points expressions barely move (eye corners, nose bridge and tip,
 * nostril wings, the face's sides at ear level), by least-squares alignment (Kabsch: SVD of the cross-covariance,
 * with ml-matrix's SVD).
 *
 * Why not the head pose's frame-to-frame change: the pose axes come from a few points (eye corners, forehead top,
 * between the eyes), so each frame's ~1–2° of mesh jitter shows as 25–60°/s at 25–30 fps, and a smile or a brow
 * raise tilts the forehead line by 3–6° within 80 ms — on real video the spotter's head-motion rejection fired on
 * nearly every event, expressions included. Fitting 17 rigid points averages the jitter out and ignores the
 * points that expressions move.
 */
import { determinant, Matrix, SingularValueDecomposition } from 'ml-matrix';

/** MediaPipe mesh indices that stay put under facial expressions (no brows, forehead, lips, cheeks or jaw). */
// eye corners; nose bridge; nose tip; nostril wings; the face's sides at ear level
export const RIGID_POINTS: readonly number[] = [
  33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 98, 327, 234, 454, 127, 356,
];

/** Centred rigid points of a 468-point mesh (x, y, z per row). */
function centred(lm: Float32Array): Matrix {
  const m = new Matrix(RIGID_POINTS.length, 3);
  const c = [0, 0, 0];
  RIGID_POINTS.forEach((p, i) => {
    for (let k = 0; k < 3; k++) {
      const v = lm[3 * p + k];
      m.set(i, k, v);
      c[k] += v / RIGID_POINTS.length;
    }
  });
  for (let i = 0; i < RIGID_POINTS.length; i++) for (let k = 0; k < 3; k++) m.set(i, k, m.get(i, k) - c[k]);
  return m;
}

/** Angle (degrees) of the least-squares rotation taking `a`'s rigid points onto `b`'s. */
export function rigidRotationDeg(a: Float32Array, b: Float32Array): number {
  const h = centred(a).transpose().mmul(centred(b));
  const svd = new SingularValueDecomposition(h);
  const u = svd.leftSingularVectors;
  const v = svd.rightSingularVectors;
  // a reflection is not a rotation: flip the weakest axis when det(V Uᵀ) < 0
  const d = Math.sign(determinant(v.mmul(u.transpose()))) || 1;
  const r = v.mmul(Matrix.diag([1, 1, d])).mmul(u.transpose());
  const cos = (r.get(0, 0) + r.get(1, 1) + r.get(2, 2) - 1) / 2;
  return (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI;
}
