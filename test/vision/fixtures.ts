/**
 * Real inputs for the vision tests: the group photos that ship with @vladmandic/face-api (so the tests run on a fresh
 * machine), the shared media when present, and the built models (`npm run models`).
 */
import { join } from 'node:path';
import sharp, { type Region } from 'sharp';
import { packageRoot } from '../../src/model/modelBuild.ts';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import type { RgbFrame } from '../../src/vision/imageOps.ts';
import { loadVisionModels, type VisionModels } from '../../src/vision/visionModels.ts';

export const DEMO_DIR = join(packageRoot('@vladmandic/face-api'), 'demo');

/**
 * Faces a person sees in each demo photo (looked at one by one): sample2 has one woman in profile looking down,
 * sample5 one woman at the bottom-left edge; every face is at least ~150 px in the 1920-wide originals.
 */
export const DEMO_FACES: Record<string, number> = {
  'sample1.jpg': 3,
  'sample2.jpg': 3,
  'sample3.jpg': 3,
  'sample4.jpg': 4,
  'sample5.jpg': 5,
  'sample6.jpg': 4,
};

/** Same for `../shared/media/faces` (group_sample1..6 are the demo photos again). */
export const SHARED_FACES: Record<string, number> = {
  'multi_face.jpg': 5,
  'single_face.jpg': 1,
  'facenet_pytorch_multiface.jpg': 6,
  // five people standing at the back (~100 px faces in 2048×1536) and one selfie face in front
  'face_classification_test_image.jpg': 6,
  '0-f1-su-ph.jpg': 1,
  '0-f15-hao-ph.jpg': 1,
  '15-f13-anc-ph.jpg': 1,
  '45-m7-di-ph.jpg': 1,
  ...Object.fromEntries(Object.entries(DEMO_FACES).map(([k, v]) => [k.replace('sample', 'group_sample'), v])),
};

/** Decodes an image file (optionally a region of it, optionally resized to `width`) into a raw RGB frame. */
export async function loadFrame(file: string, opts: { region?: Region; width?: number } = {}): Promise<RgbFrame> {
  let img = sharp(file).removeAlpha();
  if (opts.region) img = img.extract(opts.region);
  if (opts.width) img = img.resize(opts.width);
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export const demoPhoto = (name: string) => join(DEMO_DIR, name);

let models: Promise<VisionModels> | undefined;
export const cache = new OrtSessionCache();

/** The built models, loaded once per test file; throws "… run `npm run models` …" when they are not built. */
export function visionModels(): Promise<VisionModels> {
  models ??= loadVisionModels({ cache });
  return models;
}
