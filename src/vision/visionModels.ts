/**
 * The models the vision primitives run. Sessions come from src/model/ortSession.ts (cached, one intra-op thread by
 * default, warmed up); each primitive only needs `ModelRunner`, the part of `OrtModel` it calls.
 */
import * as ort from 'onnxruntime-node';
import { DEFAULT_MODELS_DIR } from '../model/modelBuild.ts';
import { assertModels } from '../model/modelVerify.ts';
import type { OrtModel, OrtOptionsInput } from '../model/ortSession.ts';
import { OrtSessionCache } from '../model/ortSession.ts';

/** What a primitive needs of a session: its input names and a run on named tensors. */
export type ModelRunner = Pick<OrtModel, 'inputNames' | 'run'>;

export const VISION_MODELS = [
  'blazeface',
  'facemesh',
  'iris',
  'emotion',
  'faceexpression',
  'faceres',
  'movenet',
] as const;
export type VisionModelName = (typeof VISION_MODELS)[number];
export type VisionModels = Record<VisionModelName, OrtModel>;

export interface LoadVisionOptions {
  /** folder of the built models (default `<repo>/models`) */
  dir?: string;
  /** a shared session cache (default: a new one with `ort` options) */
  cache?: OrtSessionCache;
  ort?: OrtOptionsInput;
  /** load only these (default: all of VISION_MODELS) */
  only?: readonly VisionModelName[];
}

/**
 * Opens the vision models after checking `models/manifest.json`: missing, corrupt or stale files throw one error
 * naming them and saying to run `npm run models`.
 */
export async function loadVisionModels(opts: LoadVisionOptions = {}): Promise<VisionModels> {
  const dir = opts.dir ?? DEFAULT_MODELS_DIR;
  const names = opts.only ?? VISION_MODELS;
  assertModels(dir, names);
  const cache = opts.cache ?? new OrtSessionCache(opts.ort);
  const out: Partial<VisionModels> = {};
  for (const n of names) out[n] = await cache.model(n, dir);
  return out as VisionModels;
}

/** A float32 NHWC tensor over `data` (no copy). */
export function f32(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/** An int32 NHWC tensor over `data` (no copy). */
export function i32(data: Int32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('int32', data, dims);
}

/** The float data of a named output (throws naming the model's outputs when absent). */
export function outputOf(res: Record<string, ort.Tensor>, name: string): Float32Array {
  const t = res[name];
  if (!t) throw new Error(`model output "${name}" missing (outputs: ${Object.keys(res).join(', ')})`);
  return t.data as Float32Array;
}
