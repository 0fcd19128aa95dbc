/**
 * Face-stack timing shared by `npm run bench -- stack` and the models suite (its `measureFaceStack` hook):
 * milliseconds per face per frame, one thread, in detection mode (BlazeFace → mesh → crops → both expression nets)
 * and tracking mode (previous landmarks → mesh → crops → expression), on 640×480 frames made from the real photos
 * that ship with @vladmandic/face-api (one face, and four faces batched); and tracking with half expression runs
 * (one net per frame, alternating: the live gate's degraded face branch, pipeline/frameGate.ts).
 */
import { join } from 'node:path';
import sharp, { type Region } from 'sharp';
import { packageRoot } from '../../src/model/modelBuild.ts';
import type { OrtSessionCache } from '../../src/model/ortSession.ts';
import { FaceStack } from '../../src/vision/faceStack.ts';
import type { RgbFrame } from '../../src/vision/imageOps.ts';
import { median, percentile, timeRuns } from './stats.ts';

async function frameOf(file: string, region?: Region): Promise<RgbFrame> {
  let img = sharp(file).removeAlpha();
  if (region) img = img.extract(region);
  const { data, info } = await img.resize(640, 480, { fit: 'cover' }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export interface StackTiming {
  faces: number;
  detect: number[];
  track: number[];
  /** tracking with one expression net per frame, the two alternating */
  trackHalf: number[];
}

/** Times both modes on one frame; samples are per face. */
export async function timeStack(stack: FaceStack, frame: RgbFrame, runs: number): Promise<StackTiming> {
  const first = await stack.detect(frame);
  if (first.length === 0) throw new Error('bench frame has no face');
  const n = first.length;
  const detect = (await timeRuns(runs, () => stack.detect(frame))).map((t) => t / n);
  let prev = first.map((f) => f.mesh.landmarks);
  const track = (
    await timeRuns(runs, async () => {
      const r = await stack.process(frame, prev);
      prev = r.map((f) => f.mesh.landmarks);
    })
  ).map((t) => t / n);
  let held = first.map((f) => f.expression);
  let k = 0;
  const trackHalf = (
    await timeRuns(runs, async () => {
      const r = await stack.track(frame, prev, { net: k++ % 2 ? 'emotion' : 'faceExpression', held });
      const kept = r.filter((f) => f !== null);
      prev = kept.map((f) => f.mesh.landmarks);
      held = kept.map((f) => f.expression);
    })
  ).map((t) => t / n);
  return { faces: n, detect, track, trackHalf };
}

const fmt = (xs: number[]) => `median ${median(xs).toFixed(2)} ms, p95 ${percentile(xs, 95).toFixed(2)} ms`;

/** Metrics `stack_track_ms` / `stack_detect_ms` (one face per frame, median) plus p95 and the 4-face figures. */
export async function measureFaceStack(
  cache: OrtSessionCache,
  modelsDir: string,
  runs = 100,
): Promise<Record<string, number>> {
  const stack = await FaceStack.load({ cache, dir: modelsDir });
  const demo = join(packageRoot('@vladmandic/face-api'), 'demo');
  // one face framed like a webcam: the woman on the left of sample3 (face ~200 px at x 590, y 388 of 1920×1350)
  const single = await frameOf(join(demo, 'sample3.jpg'), { left: 300, top: 200, width: 800, height: 600 });
  const group = await frameOf(join(demo, 'sample6.jpg'));
  const one = await timeStack(stack, single, runs);
  const many = await timeStack(stack, group, Math.ceil(runs / 2));
  console.log(
    `face stack, 1 face in 640×480, per face per frame: detection ${fmt(one.detect)}; tracking ${fmt(one.track)}; ` +
      `tracking with half expression runs ${fmt(one.trackHalf)}`,
  );
  console.log(
    `face stack, ${many.faces} faces in 640×480, per face per frame: detection ${fmt(many.detect)}; tracking ${fmt(many.track)}`,
  );
  return {
    stack_track_ms: median(one.track),
    stack_detect_ms: median(one.detect),
    stack_track_ms_p95: percentile(one.track, 95),
    stack_track_half_ms: median(one.trackHalf),
    stack_detect_ms_p95: percentile(one.detect, 95),
    stack_track_ms_per_face_4: median(many.track),
    stack_detect_ms_per_face_4: median(many.detect),
  };
}
