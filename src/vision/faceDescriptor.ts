/**
 * Face descriptor for re-identification: Human's `faceres` (HSE FaceRes, 224×224 RGB 0..255) global-pooled 1024-d
 * features, L2-normalised so cosine similarity is a dot product. The crop is the eye-line-rotated square around
 * the mesh, ×1.3 (about the area Human feeds it: the detector box ×1.4).
 */
import { z } from 'zod';
import { rectFromLandmarks } from './faceMesh.ts';
import { type RgbFrame, rectToAffine, warpAffine } from './imageOps.ts';
import { f32, type ModelRunner, outputOf } from './visionModels.ts';

export const FACERES_INPUT = 224;
export const DESCRIPTOR_SIZE = 1024;

export const faceDescriptorOptionsSchema = z.object({
  cropScale: z.number().min(0.5).max(3).default(1.3),
});
export type FaceDescriptorOptions = z.infer<typeof faceDescriptorOptionsSchema>;

/** In-place L2 normalisation (a zero vector stays zero). */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** Cosine similarity of two descriptors (any scale), −1..1. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`descriptor lengths differ (${a.length} vs ${b.length})`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

export class FaceDescriptor {
  readonly options: FaceDescriptorOptions;
  private readonly input = new Float32Array(FACERES_INPUT * FACERES_INPUT * 3);

  constructor(
    private readonly model: ModelRunner,
    options: Partial<FaceDescriptorOptions> = {},
  ) {
    this.options = faceDescriptorOptionsSchema.parse(options);
  }

  /** Normalised descriptors, one per mesh. The graph's outputs have a fixed batch of 1, so faces run one by one. */
  async run(frame: RgbFrame, meshes: readonly Float32Array[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const S = FACERES_INPUT;
    for (const lm of meshes) {
      const m = rectToAffine(rectFromLandmarks(lm, this.options.cropScale), S);
      warpAffine(frame, m, S, S, {}, this.input);
      const res = await this.model.run({ [this.model.inputNames[0]]: f32(this.input, [1, S, S, 3]) });
      out.push(l2normalize(outputOf(res, 'descriptor').slice(0, DESCRIPTOR_SIZE)));
    }
    return out;
  }
}
