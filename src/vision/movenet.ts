/**
 * Body pose: MoveNet Lightning (Human's `movenet-lightning`, 192×192 int32 RGB 0..255) → 17 keypoints. The frame is
 * letterboxed into the square input (Human pads to square the same way), and the model's normalised (y, x) go back
 * to frame pixels through that transform.
 */
import { z } from 'zod';
import { applyAffine, letterboxAffine, type Point2, type RgbFrame, warpAffine } from './imageOps.ts';
import { i32, type ModelRunner, outputOf } from './visionModels.ts';

export const MOVENET_INPUT = 192;

/** Keypoint order of the model ("left" is the subject's left). */
export const BODY_KEYPOINTS = [
  'nose',
  'leftEye',
  'rightEye',
  'leftEar',
  'rightEar',
  'leftShoulder',
  'rightShoulder',
  'leftElbow',
  'rightElbow',
  'leftWrist',
  'rightWrist',
  'leftHip',
  'rightHip',
  'leftKnee',
  'rightKnee',
  'leftAnkle',
  'rightAnkle',
] as const;
export type BodyKeypointName = (typeof BODY_KEYPOINTS)[number];

export const movenetOptionsSchema = z.object({
  /** keypoints scoring below this are still returned, flagged by `score` (consumers choose their own cut) */
  minScore: z.number().min(0).max(1).default(0.2),
});
export type MovenetOptions = z.infer<typeof movenetOptionsSchema>;

export interface BodyKeypoint {
  name: BodyKeypointName;
  /** frame pixels */
  position: Point2;
  score: number;
}

export interface BodyPose {
  keypoints: BodyKeypoint[];
  /** mean score of the keypoints above minScore (0 when none) */
  score: number;
}

export class MoveNet {
  readonly options: MovenetOptions;
  private readonly f = new Float32Array(MOVENET_INPUT * MOVENET_INPUT * 3);
  private readonly input = new Int32Array(MOVENET_INPUT * MOVENET_INPUT * 3);

  constructor(
    private readonly model: ModelRunner,
    options: Partial<MovenetOptions> = {},
  ) {
    this.options = movenetOptionsSchema.parse(options);
  }

  async run(frame: RgbFrame): Promise<BodyPose> {
    const S = MOVENET_INPUT;
    const m = letterboxAffine(frame.width, frame.height, S);
    warpAffine(frame, m, S, S, {}, this.f);
    for (let i = 0; i < this.f.length; i++) this.input[i] = Math.round(this.f[i]);
    const res = await this.model.run({ [this.model.inputNames[0]]: i32(this.input, [1, S, S, 3]) });
    const k = outputOf(res, 'keypoints');
    const keypoints = BODY_KEYPOINTS.map((name, i) => ({
      name,
      position: applyAffine(m, k[3 * i + 1] * S, k[3 * i] * S),
      score: k[3 * i + 2],
    }));
    const good = keypoints.filter((p) => p.score >= this.options.minScore);
    return { keypoints, score: good.length ? good.reduce((s, p) => s + p.score, 0) / good.length : 0 };
  }
}
