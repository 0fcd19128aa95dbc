/**
 * Face alignment. Two outputs with two jobs:
 * - an image affine (2-D similarity, least squares after Umeyama 1991) from 5 points — eye centres, nose tip, mouth
 *   corners — onto a canonical 5-point face, for the aligned 64×64 grey and 112×112 RGB crops (warped with
 *   imageOps.warpAffine);
 * - a pose-normalised mesh for geometry: the 3-D mesh rotated into the face's own frame (x along the eye line, y down
 *   the face, z out of it), centred between the eyes and scaled to inter-ocular distance 1, so yaw, pitch and roll no
 *   longer change landmark distances (facemesh z is in x units, so a rigid 3-D rotation is meaningful).
 */
import { MESH, MESH_POINTS } from './faceMesh.ts';
import { type Affine, GREY_WEIGHTS, invertAffine, type Point2, type RgbFrame, warpAffine } from './imageOps.ts';

/** Canonical 5 points on a unit square (ArcFace's 112×112 template / 112): right eye, left eye, nose, mouth R, L. */
export const CANONICAL_5: readonly Point2[] = [
  [38.2946 / 112, 51.6963 / 112],
  [73.5318 / 112, 51.5014 / 112],
  [56.0252 / 112, 71.7366 / 112],
  [41.5493 / 112, 92.3655 / 112],
  [70.7299 / 112, 92.2041 / 112],
];

function pt(lm: Float32Array, i: number): Point2 {
  return [lm[3 * i], lm[3 * i + 1]];
}

function mid(lm: Float32Array, a: number, b: number): Point2 {
  return [(lm[3 * a] + lm[3 * b]) / 2, (lm[3 * a + 1] + lm[3 * b + 1]) / 2];
}

/** The 5 alignment points from the mesh (eye centres from the eye corners), frame pixels. */
export function fivePoints(lm: Float32Array): Point2[] {
  return [
    mid(lm, MESH.rightEyeOuter, MESH.rightEyeInner),
    mid(lm, MESH.leftEyeOuter, MESH.leftEyeInner),
    pt(lm, MESH.noseTip),
    pt(lm, MESH.mouthRight),
    pt(lm, MESH.mouthLeft),
  ];
}

/**
 * Least-squares similarity (rotation, uniform scale, translation) taking `src` onto `dst` (Umeyama 1991; in 2-D the
 * SVD reduces to a closed form on the cross-covariance, so no linear-algebra library is needed).
 */
export function similarityTransform(src: readonly Point2[], dst: readonly Point2[]): Affine {
  const n = src.length;
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i][0];
    sy += src[i][1];
    dx += dst[i][0];
    dy += dst[i][1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let a = 0; // Σ (s·d) dot
  let b = 0; // Σ (s × d) cross
  let v = 0; // Σ |s|²
  for (let i = 0; i < n; i++) {
    const px = src[i][0] - sx;
    const py = src[i][1] - sy;
    const qx = dst[i][0] - dx;
    const qy = dst[i][1] - dy;
    a += px * qx + py * qy;
    b += px * qy - py * qx;
    v += px * px + py * py;
  }
  const scale = v > 0 ? Math.hypot(a, b) / v : 1;
  const th = Math.atan2(b, a);
  const c = scale * Math.cos(th);
  const s = scale * Math.sin(th);
  return { a: c, b: -s, c: dx - (c * sx - s * sy), d: s, e: c, f: dy - (s * sx + c * sy) };
}

/**
 * Frame → crop affine fitted on the eye centres and the nose tip only (CANONICAL_5's first three points), for crops
 * compared over time (appearance spotting, regionMotion.ts): the mouth corners of the 5-point fit move with speech and
 * smiles, and with them the whole crop, so every region's appearance changed whenever the mouth did.
 */
export function rigidAlignmentAffine(lm: Float32Array, size: number): Affine {
  const dst = CANONICAL_5.slice(0, 3).map(([x, y]) => [x * size, y * size] as Point2);
  return similarityTransform(fivePoints(lm).slice(0, 3), dst);
}

/** Frame → crop affine for an aligned `size`×`size` crop (feed to imageOps.warpAffine with inverse as it expects). */
export function alignmentAffine(lm: Float32Array, size: number): Affine {
  const dst = CANONICAL_5.map(([x, y]) => [x * size, y * size] as Point2);
  return similarityTransform(fivePoints(lm), dst);
}

/** Rotation of the face frame (rows = face x, y, z axes in mesh coordinates) and its origin/scale. */
export interface FaceFrame {
  r: Float64Array; // 3×3 row-major
  origin: [number, number, number];
  iod: number;
}

function norm3(v: number[]): number[] {
  const l = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / l, v[1] / l, v[2] / l];
}

/**
 * The face's own frame from rigid points: x from the right to the left outer eye corner, y from the forehead towards
 * the chin made orthogonal to x, z = x × y. Eye corners, forehead and chin barely move with expressions.
 */
export function faceFrame(lm: Float32Array): FaceFrame {
  const g = (i: number) => [lm[3 * i], lm[3 * i + 1], lm[3 * i + 2]];
  const re = g(MESH.rightEyeOuter);
  const le = g(MESH.leftEyeOuter);
  const ri = g(MESH.rightEyeInner);
  const li = g(MESH.leftEyeInner);
  const top = g(MESH.foreheadTop);
  const bot = g(MESH.betweenEyes);
  const x = norm3([le[0] - re[0], le[1] - re[1], le[2] - re[2]]);
  // the nose bridge line (forehead → between the eyes) is rigid, unlike the chin which drops with the jaw
  const y0 = [bot[0] - top[0], bot[1] - top[1], bot[2] - top[2]];
  const d = y0[0] * x[0] + y0[1] * x[1] + y0[2] * x[2];
  const y = norm3([y0[0] - d * x[0], y0[1] - d * x[1], y0[2] - d * x[2]]);
  const z = [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]];
  const rc = [(re[0] + ri[0]) / 2, (re[1] + ri[1]) / 2, (re[2] + ri[2]) / 2];
  const lc = [(le[0] + li[0]) / 2, (le[1] + li[1]) / 2, (le[2] + li[2]) / 2];
  const iod = Math.hypot(lc[0] - rc[0], lc[1] - rc[1], lc[2] - rc[2]) || 1;
  return {
    r: Float64Array.from([...x, ...y, ...z]),
    origin: [(rc[0] + lc[0]) / 2, (rc[1] + lc[1]) / 2, (rc[2] + lc[2]) / 2],
    iod,
  };
}

/**
 * Pose-normalised mesh: every point in the face frame, in inter-ocular units (eye midpoint at 0, eyes at x = ±0.5,
 * y grows towards the chin). Yaw, pitch, roll, position and scale are removed.
 */
export function normaliseMesh(lm: Float32Array, out = new Float32Array(MESH_POINTS * 3), frame = faceFrame(lm)) {
  const { r, origin, iod } = frame;
  const n = Math.min(lm.length, out.length) / 3;
  for (let i = 0; i < n; i++) {
    const px = lm[3 * i] - origin[0];
    const py = lm[3 * i + 1] - origin[1];
    const pz = lm[3 * i + 2] - origin[2];
    out[3 * i] = (r[0] * px + r[1] * py + r[2] * pz) / iod;
    out[3 * i + 1] = (r[3] * px + r[4] * py + r[5] * pz) / iod;
    out[3 * i + 2] = (r[6] * px + r[7] * py + r[8] * pz) / iod;
  }
  return out;
}

export const ALIGNED_GREY = 64;
export const ALIGNED_RGB = 112;

export interface AlignedCrops {
  /** frame → 64-crop affine (the 112 one is the same scaled by 112/64) */
  toGrey: Affine;
  /** 64×64 grey, 0..255 (what the Human emotion net sees, before its own scaling; and the appearance-motion input) */
  grey: Float32Array;
  /** 112×112×3 RGB, 0..255 (face-api's expression net input) */
  rgb: Float32Array;
}

/** Both aligned crops of one face from its mesh (imageOps.warpAffine samples crop → frame, hence the inverse). */
export function alignedCrops(
  frame: RgbFrame,
  lm: Float32Array,
  out?: { grey: Float32Array; rgb: Float32Array },
): AlignedCrops {
  const toGrey = alignmentAffine(lm, ALIGNED_GREY);
  const toRgb = alignmentAffine(lm, ALIGNED_RGB);
  const grey = warpAffine(frame, invertAffine(toGrey), ALIGNED_GREY, ALIGNED_GREY, { grey: GREY_WEIGHTS }, out?.grey);
  const rgb = warpAffine(frame, invertAffine(toRgb), ALIGNED_RGB, ALIGNED_RGB, {}, out?.rgb);
  return { toGrey, grey, rgb };
}
