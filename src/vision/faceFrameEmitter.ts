/**
 * Builds `face.frame` payloads from per-frame results at a configurable rate (default 10 Hz): the analysis runs at the
 * source rate, subscribers get a steady, lighter stream. A frame is emitted when at least 1/hz of media time has
 * passed since the last emitted one (so 30 fps → every third frame at 10 Hz, 25 fps → every 2nd/3rd). Valence and
 * arousal come from the expression probabilities via valenceArousal.ts (probability-weighted circumplex positions).
 */
import { z } from 'zod';
import { type AuIntensities, EXPRESSION_CLASSES, type ExpressionProbs, type Face } from '../events/schema.ts';
import type { Box } from './blazeFace.ts';
import type { Gaze } from './gaze.ts';
import type { HeadPose } from './headPose.ts';
import { valenceArousal } from './valenceArousal.ts';

export const faceFrameEmitterOptionsSchema = z.object({
  hz: z.number().positive().max(60).default(10),
});
export type FaceFrameEmitterOptions = z.infer<typeof faceFrameEmitterOptionsSchema>;

export interface FaceResult {
  trackId: number;
  box: Box;
  score: number;
  headPose: HeadPose;
  gaze?: Gaze;
  /** 7 probabilities, EXPRESSION_CLASSES order */
  probs: ArrayLike<number>;
  au: AuIntensities;
  speaking?: boolean;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const c01 = (x: number) => Math.max(0, Math.min(1, x));

export function faceOf(f: FaceResult): Face {
  const expression = Object.fromEntries(
    EXPRESSION_CLASSES.map((c, i) => [c, r3(c01(f.probs[i] ?? 0))]),
  ) as ExpressionProbs;
  const { valence, arousal } = valenceArousal(expression);
  return {
    trackId: f.trackId,
    box: { x: r3(f.box.x), y: r3(f.box.y), w: r3(Math.max(0, f.box.w)), h: r3(Math.max(0, f.box.h)) },
    score: r3(c01(f.score)),
    headPose: { yaw: r3(f.headPose.yaw), pitch: r3(f.headPose.pitch), roll: r3(f.headPose.roll) },
    ...(f.gaze ? { gaze: { x: r3(f.gaze.x), y: r3(f.gaze.y) } } : {}),
    expression,
    au: f.au,
    valence,
    arousal,
    ...(f.speaking === undefined ? {} : { speaking: f.speaking }),
  };
}

export class FaceFrameEmitter {
  readonly opts: FaceFrameEmitterOptions;
  private last = Number.NEGATIVE_INFINITY;

  constructor(opts: z.input<typeof faceFrameEmitterOptionsSchema> = {}) {
    this.opts = faceFrameEmitterOptionsSchema.parse(opts);
  }

  /** The `face.frame` payload for this frame, or null when the rate limit skips it. */
  offer(t: number, faces: readonly FaceResult[]): { t: number; faces: Face[] } | null {
    // half a frame of slack so 30 fps at 10 Hz is exactly every 3rd frame despite float times
    if (t - this.last < 1 / this.opts.hz - 0.005) return null;
    this.last = t;
    return { t, faces: faces.map(faceOf) };
  }
}
