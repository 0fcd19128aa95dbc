/**
 * FaceMesh (Human's `facemesh`, MediaPipe's 468-landmark model, 192×192 input in [0, 1]) around the graph: the ROI
 * from a detection or from the previous frame's landmarks (tracking, no detector), the rotated crop, and the
 * projection of the landmarks (x, y, z) back to frame pixels.
 *
 * ROI: a square rotated so the eye line is horizontal in the crop, as MediaPipe does (Human skips rotation by
 * default; rolled heads then get worse meshes). Landmarks come out in crop pixels and go back through the crop's
 * affine transform; z is scaled by the same pixel size so it is in frame pixels too (relative depth, + away).
 */
import { z } from 'zod';
import type { FaceDetection } from './blazeFace.ts';
import { type Affine, applyAffine, type RgbFrame, type RotatedRect, rectToAffine, warpAffine } from './imageOps.ts';
import { f32, type ModelRunner, outputOf } from './visionModels.ts';

export const FACEMESH_INPUT = 192;
export const MESH_POINTS = 468;

/** Mesh indices used here (MediaPipe's canonical face model; "right" is the subject's right = image left). */
export const MESH = {
  rightEyeOuter: 33,
  rightEyeInner: 133,
  leftEyeOuter: 263,
  leftEyeInner: 362,
  noseTip: 1,
  upperLipTop: 0,
  lowerLipBottom: 17,
  mouthRight: 61,
  mouthLeft: 291,
  chin: 152,
  foreheadTop: 10,
  betweenEyes: 168,
  rightEyeUpper: 159,
  rightEyeLower: 145,
  leftEyeUpper: 386,
  leftEyeLower: 374,
} as const;

/** Eye contours (Human's `rightEyeUpper0` + `rightEyeLower0`, and the left ones), closed loops of mesh indices. */
export const RIGHT_EYE_CONTOUR = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246] as const;
export const LEFT_EYE_CONTOUR = [
  263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
] as const;

export const faceMeshOptionsSchema = z.object({
  /**
   * detection box side × this = ROI side. Human's 1.4, not MediaPipe's 1.5: on the demo photos the profile face of
   * sample2 scores 0.53 at 1.4 and 0.12 at 1.5; frontal faces score ~1 either way.
   */
  detectionScale: z.number().min(1).max(3).default(1.4),
  /**
   * landmark extent × this = ROI side in tracking mode. The mesh spans ~1.08 × the detector's box, so 1.4 gives
   * ROIs a little larger than detection ones; re-tracking the same photo then moves landmarks ~1 px on average.
   */
  trackingScale: z.number().min(1).max(3).default(1.4),
  /** faces whose mesh confidence is below this are dropped (lost track) */
  minScore: z.number().min(0).max(1).default(0.3),
});
export type FaceMeshOptions = z.infer<typeof faceMeshOptionsSchema>;

export interface FaceMeshResult {
  /** the crop the mesh ran on */
  roi: RotatedRect;
  /** 468 × (x, y, z) in frame pixels */
  landmarks: Float32Array;
  /** model's face presence confidence, 0..1 */
  score: number;
}

/** Angle of the line from p to q (radians, image y down). */
const lineAngle = (px: number, py: number, qx: number, qy: number) => Math.atan2(qy - py, qx - px);

/**
 * ROI from a BlazeFace detection: box centre, side × scale, rotation from the eye keypoints. Eye keypoints closer
 * than 15 % of the box (profile views) give an unstable angle, so the crop stays upright then.
 */
export function roiFromDetection(det: FaceDetection, scale: number): RotatedRect {
  const [re, le] = det.keypoints;
  const side = Math.max(det.box.w, det.box.h);
  const eyeDist = Math.hypot(le[0] - re[0], le[1] - re[1]);
  const angle = eyeDist > 0.15 * side ? lineAngle(re[0], re[1], le[0], le[1]) : 0;
  return { cx: det.box.x + det.box.w / 2, cy: det.box.y + det.box.h / 2, size: side * scale, angle };
}

/** Eye-line angle of a mesh (outer eye corners, image-left eye to image-right eye). */
export function meshRoll(lm: Float32Array): number {
  const a = MESH.rightEyeOuter * 3;
  const b = MESH.leftEyeOuter * 3;
  return lineAngle(lm[a], lm[a + 1], lm[b], lm[b + 1]);
}

/**
 * The square, eye-line-rotated rect around a set of landmarks: bounding box in the rotated frame, centre of that
 * box, side = its longer extent × scale. Used for the tracking ROI and for the aligned expression crops.
 */
export function rectFromLandmarks(
  lm: Float32Array,
  scale: number,
  angle = meshRoll(lm),
  count = MESH_POINTS,
): RotatedRect {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  let minU = Infinity;
  let maxU = -Infinity;
  let minV = Infinity;
  let maxV = -Infinity;
  for (let i = 0; i < count; i++) {
    const x = lm[3 * i];
    const y = lm[3 * i + 1];
    // rotate into the face frame (inverse rotation)
    const u = cos * x + sin * y;
    const v = -sin * x + cos * y;
    if (u < minU) minU = u;
    if (u > maxU) maxU = u;
    if (v < minV) minV = v;
    if (v > maxV) maxV = v;
  }
  const cu = (minU + maxU) / 2;
  const cv = (minV + maxV) / 2;
  return {
    cx: cos * cu - sin * cv,
    cy: sin * cu + cos * cv,
    size: Math.max(maxU - minU, maxV - minV) * scale,
    angle,
  };
}

/** Crop-pixel landmarks (x, y, z) → frame pixels through the crop's transform; z scaled by the pixel size. */
export function projectLandmarks(raw: Float32Array, m: Affine, count: number, out = new Float32Array(count * 3)) {
  const zScale = Math.hypot(m.a, m.d);
  for (let i = 0; i < count; i++) {
    const [x, y] = applyAffine(m, raw[3 * i], raw[3 * i + 1]);
    out[3 * i] = x;
    out[3 * i + 1] = y;
    out[3 * i + 2] = raw[3 * i + 2] * zScale;
  }
  return out;
}

/** FaceMesh on several faces of one frame, batched. One instance per thread (reuses its input buffer). */
export class FaceMesh {
  readonly options: FaceMeshOptions;
  private input = new Float32Array(0);

  constructor(
    private readonly model: ModelRunner,
    options: Partial<FaceMeshOptions> = {},
  ) {
    this.options = faceMeshOptionsSchema.parse(options);
  }

  roiFromDetection(det: FaceDetection): RotatedRect {
    return roiFromDetection(det, this.options.detectionScale);
  }

  /** Tracking ROI: the previous frame's landmarks stand in for a detection. */
  roiFromLandmarks(prev: Float32Array): RotatedRect {
    return rectFromLandmarks(prev, this.options.trackingScale);
  }

  /** Runs the mesh on each ROI; results below `minScore` come back as null (face lost / not a face). */
  async run(frame: RgbFrame, rois: readonly RotatedRect[]): Promise<(FaceMeshResult | null)[]> {
    if (rois.length === 0) return [];
    const S = FACEMESH_INPUT;
    const per = S * S * 3;
    if (this.input.length !== per * rois.length) this.input = new Float32Array(per * rois.length);
    const affines = rois.map((r) => rectToAffine(r, S));
    affines.forEach((m, i) => {
      warpAffine(frame, m, S, S, { scale: 1 / 255 }, this.input, i * per);
    });
    const res = await this.model.run({ [this.model.inputNames[0]]: f32(this.input, [rois.length, S, S, 3]) });
    const mesh = outputOf(res, 'output_mesh');
    const flag = outputOf(res, 'output_faceflag');
    return rois.map((roi, i) => {
      const score = flag[i];
      if (!(score >= this.options.minScore)) return null;
      const raw = mesh.subarray(i * MESH_POINTS * 3, (i + 1) * MESH_POINTS * 3);
      return { roi, score, landmarks: projectLandmarks(raw, affines[i], MESH_POINTS) };
    });
  }

  /** Detection mode: ROIs from detections. */
  fromDetections(frame: RgbFrame, dets: readonly FaceDetection[]) {
    return this.run(
      frame,
      dets.map((d) => this.roiFromDetection(d)),
    );
  }

  /** Tracking mode: ROIs from each face's previous landmarks. */
  track(frame: RgbFrame, previous: readonly Float32Array[]) {
    return this.run(
      frame,
      previous.map((p) => this.roiFromLandmarks(p)),
    );
  }
}
