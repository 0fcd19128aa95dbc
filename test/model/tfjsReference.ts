/**
 * Test helpers: the tfjs reference side of the parity tests and the real face photos they run on.
 * tfjs is loaded through face-api's node-wasm build, which requires the plain `@tensorflow/tfjs` (pure JS CPU
 * backend here), so Human's graph models and face-api's own faceExpressionNet run on one tfjs instance.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../../src/model/modelBuild.ts';
import type { LoadedTfjsModel } from '../../src/model/tfjsWeights.ts';

const require = createRequire(import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: tfjs and face-api are used untyped here (their CJS builds ship no types)
export type Tf = any;
// biome-ignore lint/suspicious/noExplicitAny: see above
export type FaceApi = any;

let cached: { tf: Tf; faceapi: FaceApi } | undefined;

/** tfjs (CPU backend) and face-api on it. */
export async function tfjs(): Promise<{ tf: Tf; faceapi: FaceApi }> {
  if (cached) return cached;
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const tf = faceapi.tf;
  await tf.setBackend('cpu');
  await tf.ready();
  cached = { tf, faceapi };
  return cached;
}

/** A tfjs GraphModel from files already read (tf.io.fromMemory: no network, no fetch). */
export async function loadGraphModel(tf: Tf, model: LoadedTfjsModel): Promise<Tf> {
  const weightSpecs = model.json.weightsManifest.flatMap((g) => g.weights);
  const weightData = Buffer.concat(model.files.shards.map((s) => s.bytes));
  const handler = tf.io.fromMemory({
    modelTopology: model.json.modelTopology,
    weightSpecs,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    format: model.json.format,
    generatedBy: model.json.generatedBy,
    convertedBy: model.json.convertedBy,
    signature: model.json.signature,
    userDefinedMetadata: model.json.userDefinedMetadata,
  });
  return tf.loadGraphModel(handler);
}

/** The demo photos shipped with @vladmandic/face-api (real faces, always present after npm install). */
export function facePhotos(): string[] {
  const dir = join(packageRoot('@vladmandic/face-api'), 'demo');
  return readdirSync(dir)
    .filter((f) => /^sample\d+\.jpg$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** A photo decoded and resized (stretched) to w×h, as RGB bytes. */
export async function photoRgb(path: string, w: number, h: number): Promise<Uint8Array> {
  const { data } = await sharp(path).removeAlpha().resize(w, h, { fit: 'fill' }).raw().toBuffer({
    resolveWithObject: true,
  });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** max |a − b| and max |b| (the reference's scale). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}

/** Pre-processing as Human feeds each model (value ranges matter for a meaningful parity check and benchmark). */
export function humanPreprocess(name: string, rgb: Uint8Array): Float32Array | Int32Array {
  switch (name) {
    case 'blazeface':
      return Float32Array.from(rgb, (v) => v / 127.5 - 1);
    case 'movenet':
      return Int32Array.from(rgb);
    case 'faceexpression':
      return Float32Array.from(rgb);
    case 'emotion': {
      const g = new Float32Array(rgb.length / 3);
      for (let i = 0; i < g.length; i++) {
        const grey = 0.2989 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
        g[i] = (grey / 255 - 0.5) * 2;
      }
      return g;
    }
    default:
      return Float32Array.from(rgb, (v) => v / 255);
  }
}
