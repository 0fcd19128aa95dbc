/**
 * Gaze from the iris centre relative to the eye corners: per eye, the iris offset from the corners' midpoint projected
 * on the corner axis (x) and its normal (y), in half eye widths; both eyes averaged. x > 0 looks towards the image
 * right, y > 0 down. About ±0.5 spans the usual range of eye rotation; head pose is not folded in.
 */
import { MESH } from './faceMesh.ts';
import type { Point2 } from './imageOps.ts';

export interface Gaze {
  x: number;
  y: number;
}

function eyeGaze(lm: Float32Array, a: number, b: number, iris: Point2): Gaze {
  // a, b ordered image-left → image-right so x is consistent for both eyes
  const ax = lm[3 * a];
  const ay = lm[3 * a + 1];
  const ux = lm[3 * b] - ax;
  const uy = lm[3 * b + 1] - ay;
  const w = Math.hypot(ux, uy) || 1;
  const cx = iris[0] - (ax + ux / 2);
  const cy = iris[1] - (ay + uy / 2);
  return { x: (cx * ux + cy * uy) / w / (w / 2), y: (-cx * uy + cy * ux) / w / (w / 2) };
}

/** `rightIris`/`leftIris` are the subject's right (image left) and left iris centres in frame pixels. */
export function gazeFromIris(lm: Float32Array, rightIris: Point2, leftIris: Point2): Gaze {
  const r = eyeGaze(lm, MESH.rightEyeOuter, MESH.rightEyeInner, rightIris);
  const l = eyeGaze(lm, MESH.leftEyeInner, MESH.leftEyeOuter, leftIris);
  return { x: (r.x + l.x) / 2, y: (r.y + l.y) / 2 };
}
