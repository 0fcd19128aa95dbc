/**
 * The two pretrained expression nets on aligned face crops, batched over the faces of a frame, and their ensemble.
 *
 * - Human's `emotion` (oarriaga/face_classification, FER2013): 64×64 grey, input (g − 0.5)·2 with g the 0..1 luma
 *   0.2989 R + 0.587 G + 0.114 B (Human's gear/emotion.ts). Classes angry, disgust, fear, happy, sad, surprise,
 *   neutral.
 * - face-api's `faceExpressionNet`: 112×112 RGB 0..255 (the graph subtracts face-api's mean and divides by 255
 *   itself). Classes already in the project's order.
 *
 * Both come back in EXPRESSION_CLASSES order with probabilities, pre-softmax logits and a 256-d pooled embedding.
 * Crops are given as transforms from the unit square [0, 1]² to the frame, so any aligner can feed them
 * (`regionsFromMesh` gives the eye-line-rotated crops used until src/vision/alignment.ts lands).
 */
import { z } from 'zod';
import { EXPRESSION_CLASSES, type ExpressionClass } from '../events/schema.ts';
import { FACE_EXPRESSION_LABELS } from '../model/faceExpressionNet.ts';
import { HUMAN_EMOTION_LABELS } from '../model/modelBuild.ts';
import { rectFromLandmarks } from './faceMesh.ts';
import { type Affine, GREY_WEIGHTS, type RgbFrame, rectToAffine, warpAffine } from './imageOps.ts';
import { f32, type ModelRunner, outputOf } from './visionModels.ts';

export const EMOTION_INPUT = 64;
export const FACE_EXPRESSION_INPUT = 112;
const EMBEDDING = 256;

/** Index into a net's output for each project class. */
function classMap(labels: readonly string[]): number[] {
  const alias: Record<string, ExpressionClass> = {
    angry: 'angry',
    disgust: 'disgusted',
    disgusted: 'disgusted',
    fear: 'fearful',
    fearful: 'fearful',
    happy: 'happy',
    sad: 'sad',
    surprise: 'surprised',
    surprised: 'surprised',
    neutral: 'neutral',
  };
  const idx = EXPRESSION_CLASSES.map((c) => labels.findIndex((l) => alias[l] === c));
  if (idx.some((i) => i < 0))
    throw new Error(`labels ${labels.join(',')} do not cover ${EXPRESSION_CLASSES.join(',')}`);
  return idx;
}
export const EMOTION_CLASS_MAP = classMap(HUMAN_EMOTION_LABELS);
export const FACE_EXPRESSION_CLASS_MAP = classMap(FACE_EXPRESSION_LABELS);

export const expressionOptionsSchema = z.object({
  /** crop side = mesh extent (eye-line frame) × this, per net (0.8–1.05 kept the posed surprise/happy stills right
   *  for both nets; 1.1–1.25 lost the emotion net on surprise) */
  emotionCropScale: z.number().min(0.5).max(3).default(0.95),
  faceExpressionCropScale: z.number().min(0.5).max(3).default(0.95),
  ensemble: z
    .object({
      /** 'mean': weighted mean of probabilities; 'logMean': weighted geometric mean (renormalised) */
      rule: z.enum(['mean', 'logMean']).default('mean'),
      weights: z
        .object({ emotion: z.number().min(0).default(0.5), faceExpression: z.number().min(0).default(0.5) })
        .default({ emotion: 0.5, faceExpression: 0.5 }),
    })
    .default({ rule: 'mean', weights: { emotion: 0.5, faceExpression: 0.5 } }),
});
export type ExpressionOptions = z.infer<typeof expressionOptionsSchema>;
export type ExpressionOptionsInput = z.input<typeof expressionOptionsSchema>;

export interface NetOutput {
  /** 7 probabilities, EXPRESSION_CLASSES order */
  probs: Float32Array;
  /** 7 pre-softmax scores, EXPRESSION_CLASSES order */
  logits: Float32Array;
  /** 256-d pooled features of the net's last block */
  embedding: Float32Array;
}

export interface ExpressionResult {
  emotion: NetOutput;
  faceExpression: NetOutput;
  /** the ensemble, EXPRESSION_CLASSES order */
  probs: Float32Array;
  top: ExpressionClass;
}

/** Crops of one face: transforms from the unit square to the frame, per net. */
export interface FaceRegion {
  emotion: Affine;
  faceExpression: Affine;
}

/** Unit-square transform scaled to an N×N crop (crop pixels → frame). */
export function unitToCrop(m: Affine, n: number): Affine {
  return { a: m.a / n, b: m.b / n, c: m.c, d: m.d / n, e: m.e / n, f: m.f };
}

/** Eye-line-rotated square crops around a 468-point mesh (frame pixels), one per net. */
export function regionsFromMesh(
  lm: Float32Array,
  opts: Pick<ExpressionOptions, 'emotionCropScale' | 'faceExpressionCropScale'>,
): FaceRegion {
  const tight = rectFromLandmarks(lm, 1);
  return {
    emotion: rectToAffine({ ...tight, size: tight.size * opts.emotionCropScale }, 1),
    faceExpression: rectToAffine({ ...tight, size: tight.size * opts.faceExpressionCropScale }, 1),
  };
}

/** Combines two probability vectors by the configured rule. */
export function ensemble(a: Float32Array, b: Float32Array, opts: ExpressionOptions['ensemble']): Float32Array {
  const wa = opts.weights.emotion;
  const wb = opts.weights.faceExpression;
  const sw = wa + wb || 1;
  const out = new Float32Array(a.length);
  if (opts.rule === 'mean') {
    for (let i = 0; i < a.length; i++) out[i] = (wa * a[i] + wb * b[i]) / sw;
    return out;
  }
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    out[i] = Math.exp((wa * Math.log(a[i] + 1e-7) + wb * Math.log(b[i] + 1e-7)) / sw);
    s += out[i];
  }
  for (let i = 0; i < a.length; i++) out[i] /= s;
  return out;
}

export function topClass(probs: ArrayLike<number>): ExpressionClass {
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
  return EXPRESSION_CLASSES[best];
}

/** Probabilities as the event schema's `{ neutral, happy, … }` record. */
export function probsRecord(probs: ArrayLike<number>): Record<ExpressionClass, number> {
  return Object.fromEntries(EXPRESSION_CLASSES.map((c, i) => [c, Math.min(1, Math.max(0, probs[i]))])) as Record<
    ExpressionClass,
    number
  >;
}

function reorder(src: Float32Array, map: readonly number[]): Float32Array {
  const out = new Float32Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = src[map[i]];
  return out;
}

/** A half run: which net runs, and each face's previous result (same order as the faces) for the other. */
export interface HalfExpressionRun {
  net: 'emotion' | 'faceExpression';
  held: readonly ExpressionResult[];
}

/** Both nets over the faces of a frame (one batched run each). One instance per thread (reuses its buffers). */
export class ExpressionNets {
  readonly options: ExpressionOptions;
  private grey = new Float32Array(0);
  private rgb = new Float32Array(0);

  constructor(
    private readonly emotion: ModelRunner,
    private readonly faceExpression: ModelRunner,
    options: ExpressionOptionsInput = {},
  ) {
    this.options = expressionOptionsSchema.parse(options);
  }

  regionsFromMesh(lm: Float32Array): FaceRegion {
    return regionsFromMesh(lm, this.options);
  }

  /**
   * Both nets on every face, or with `half` only `half.net`, the other net's output taken from each face's previous
   * result (the ensemble is recomputed from the fresh and the held output). Half runs are the face branch's last
   * degradation step before frames are dropped (pipeline/frameGate.ts): alternating the nets keeps every frame's
   * mesh, AUs and spotting and refreshes each net at half the rate. Without a held result for every face, both run.
   */
  async run(frame: RgbFrame, faces: readonly FaceRegion[], half?: HalfExpressionRun): Promise<ExpressionResult[]> {
    const n = faces.length;
    if (n === 0) return [];
    const held = half?.held.length === n ? half.held : null;
    const runEmotion = !held || half?.net === 'emotion';
    const runFaceExpression = !held || half?.net === 'faceExpression';
    const E = EMOTION_INPUT;
    const F = FACE_EXPRESSION_INPUT;
    if (runEmotion && this.grey.length !== n * E * E) this.grey = new Float32Array(n * E * E);
    if (runFaceExpression && this.rgb.length !== n * F * F * 3) this.rgb = new Float32Array(n * F * F * 3);
    faces.forEach((r, i) => {
      // (luma/255 − 0.5)·2 = luma·2/255 − 1
      if (runEmotion)
        warpAffine(
          frame,
          unitToCrop(r.emotion, E),
          E,
          E,
          { grey: GREY_WEIGHTS, scale: 2 / 255, offset: -1 },
          this.grey,
          i * E * E,
        );
      if (runFaceExpression) warpAffine(frame, unitToCrop(r.faceExpression, F), F, F, {}, this.rgb, i * F * F * 3);
    });
    // one after the other: a stream's stage stays on one core
    const re = runEmotion
      ? await this.emotion.run({ [this.emotion.inputNames[0]]: f32(this.grey, [n, E, E, 1]) })
      : null;
    const rf = runFaceExpression
      ? await this.faceExpression.run({ [this.faceExpression.inputNames[0]]: f32(this.rgb, [n, F, F, 3]) })
      : null;
    const split = (res: NonNullable<typeof re>, map: readonly number[], i: number): NetOutput => ({
      probs: reorder(outputOf(res, 'probs').subarray(i * 7, i * 7 + 7), map),
      logits: reorder(outputOf(res, 'logits').subarray(i * 7, i * 7 + 7), map),
      embedding: outputOf(res, 'embedding').slice(i * EMBEDDING, (i + 1) * EMBEDDING),
    });
    return faces.map((_, i) => {
      // a net that did not run has its held results (runEmotion / runFaceExpression are false only with `held`)
      const emotion = re ? split(re, EMOTION_CLASS_MAP, i) : (held?.[i].emotion as NetOutput);
      const faceExpression = rf ? split(rf, FACE_EXPRESSION_CLASS_MAP, i) : (held?.[i].faceExpression as NetOutput);
      const probs = ensemble(emotion.probs, faceExpression.probs, this.options.ensemble);
      return { emotion, faceExpression, probs, top: topClass(probs) };
    });
  }
}
