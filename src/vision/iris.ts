/**
 * Iris landmarks (Human's `iris`, MediaPipe Iris: 64×64 eye crop in [0, 1] → 71 eye-contour points + 5 iris points,
 * each (x, y, z) in crop pixels). The eye crops come from the face mesh: centred between the eye corners, side
 * 2.3 × the corner distance (Human's `iris.scale`), rotated with the face's eye line. The model is trained on one
 * eye side: the subject's left eye (image right, mesh 263/362) is mirrored in and its points mirrored back, as in
 * MediaPipe and the original tfjs facemesh.
 */
import { z } from 'zod';
import { MESH, meshRoll, projectLandmarks } from './faceMesh.ts';
import { type Point2, type RgbFrame, type RotatedRect, rectToAffine, warpAffine } from './imageOps.ts';
import { f32, type ModelRunner, outputOf } from './visionModels.ts';

export const IRIS_INPUT = 64;
const POINTS = 76;
const CONTOUR_POINTS = 71;

export const irisOptionsSchema = z.object({
  /** eye crop side = corner distance × this */
  eyeScale: z.number().min(1).max(5).default(2.3),
});
export type IrisOptions = z.infer<typeof irisOptionsSchema>;

export interface EyeResult {
  /** 71 eye-region contour points (x, y, z), frame pixels */
  contour: Float32Array;
  /** 5 iris points (centre, then 4 on the rim), frame pixels */
  iris: Float32Array;
  center: Point2;
  /** mean centre-to-rim distance, frame pixels */
  radius: number;
}

export interface IrisResult {
  /** the subject's right eye (image left) */
  right: EyeResult;
  /** the subject's left eye (image right) */
  left: EyeResult;
}

/** Eye crop rect from two mesh corner points, rotated with the face. */
export function eyeRect(lm: Float32Array, outer: number, inner: number, scale: number, angle: number): RotatedRect {
  const ox = lm[3 * outer];
  const oy = lm[3 * outer + 1];
  const ix = lm[3 * inner];
  const iy = lm[3 * inner + 1];
  return { cx: (ox + ix) / 2, cy: (oy + iy) / 2, size: Math.hypot(ix - ox, iy - oy) * scale, angle };
}

/** Iris model over the eyes of several faces, one batched run (2 crops per face). */
export class IrisLandmarks {
  readonly options: IrisOptions;
  private input = new Float32Array(0);

  constructor(
    private readonly model: ModelRunner,
    options: Partial<IrisOptions> = {},
  ) {
    this.options = irisOptionsSchema.parse(options);
  }

  async run(frame: RgbFrame, meshes: readonly Float32Array[]): Promise<IrisResult[]> {
    if (meshes.length === 0) return [];
    const S = IRIS_INPUT;
    const per = S * S * 3;
    const n = meshes.length * 2;
    if (this.input.length !== per * n) this.input = new Float32Array(per * n);
    const crops = meshes.flatMap((lm) => {
      const angle = meshRoll(lm);
      return [
        { rect: eyeRect(lm, MESH.rightEyeOuter, MESH.rightEyeInner, this.options.eyeScale, angle), flip: false },
        { rect: eyeRect(lm, MESH.leftEyeOuter, MESH.leftEyeInner, this.options.eyeScale, angle), flip: true },
      ];
    });
    const affines = crops.map((c) => rectToAffine(c.rect, S));
    crops.forEach((c, i) => {
      warpAffine(frame, affines[i], S, S, { scale: 1 / 255, flip: c.flip }, this.input, i * per);
    });
    const res = await this.model.run({ [this.model.inputNames[0]]: f32(this.input, [n, S, S, 3]) });
    const data = outputOf(res, 'landmarks');
    const eyes = crops.map((c, i) => {
      const raw = data.slice(i * POINTS * 3, (i + 1) * POINTS * 3);
      if (c.flip) for (let k = 0; k < POINTS; k++) raw[3 * k] = S - raw[3 * k];
      const pts = projectLandmarks(raw, affines[i], POINTS);
      const iris = pts.slice(CONTOUR_POINTS * 3);
      const center: Point2 = [iris[0], iris[1]];
      let radius = 0;
      for (let k = 1; k < 5; k++) radius += Math.hypot(iris[3 * k] - center[0], iris[3 * k + 1] - center[1]) / 4;
      return { contour: pts.slice(0, CONTOUR_POINTS * 3), iris, center, radius };
    });
    return meshes.map((_, f) => ({ right: eyes[2 * f], left: eyes[2 * f + 1] }));
  }
}
