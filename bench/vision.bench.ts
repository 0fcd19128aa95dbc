/**
 * `npm run bench -- vision`: the whole local branch per face per frame on one thread — tracking mesh + both
 * expression nets (FaceStack tracking mode) + pose normalisation + mesh smoothing + head pose + AUs against the
 * baseline + region motion + spotting + the local token — on a 640×480 frame from the real photos that ship with @vladmandic/face-api,
 * with the face nudged each frame so the tracker does real work. Targets: local_ms_p50 ≤ 6, ≥ 5 faces at 30 fps/core.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../src/model/modelBuild.ts';
import { OrtSessionCache } from '../src/model/ortSession.ts';
import { ActionUnitEstimator } from '../src/vision/actionUnits.ts';
import { alignedCrops } from '../src/vision/alignment.ts';
import { FaceStack } from '../src/vision/faceStack.ts';
import { VIDEO_SMOOTHING } from '../src/vision/frameAnalyzer.ts';
import { headPose } from '../src/vision/headPose.ts';
import type { RgbFrame } from '../src/vision/imageOps.ts';
import { buildLocalToken } from '../src/vision/localToken.ts';
import { MicroExpressionSpotter } from '../src/vision/microExpressionSpotter.ts';
import { RegionMotion } from '../src/vision/regionMotion.ts';
import { median, percentile } from './lib/stats.ts';

const cache = new OrtSessionCache({ intraOpThreads: 1 });
const stack = await FaceStack.load({ cache });
const demo = join(packageRoot('@vladmandic/face-api'), 'demo');
const frames: RgbFrame[] = [];
for (let k = 0; k < 4; k++) {
  const { data, info } = await sharp(join(demo, 'sample3.jpg'))
    .removeAlpha()
    .extract({ left: 300 + 4 * k, top: 200 + 3 * k, width: 800, height: 600 })
    .resize(640, 480)
    .raw()
    .toBuffer({ resolveWithObject: true });
  frames.push({
    width: info.width,
    height: info.height,
    rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
  });
}
const first = await stack.detect(frames[0]);
if (first.length === 0) throw new Error('bench frame has no face');
let prev = [first[0].mesh.landmarks];
const au = new ActionUnitEstimator({ smoothing: VIDEO_SMOOTHING });
const rm = new RegionMotion();
const spotter = new MicroExpressionSpotter();
const emitted: unknown[] = [];
const times: number[] = [];
const N = 300;
for (let i = 0; i < N; i++) {
  const t = i / 30;
  const t0 = performance.now();
  const faces = await stack.process(frames[i % frames.length], prev);
  if (!faces[0]) {
    prev = (await stack.detect(frames[i % frames.length])).slice(0, 1).map((f) => f.mesh.landmarks);
    continue;
  }
  const f = faces[0];
  prev = [f.mesh.landmarks];
  const a = au.analyse(0, t, f.mesh.landmarks, 0);
  const pose = headPose(f.mesh.landmarks);
  const crops = alignedCrops(frames[i % frames.length], f.mesh.landmarks);
  const motion = rm.update(t, a.normMesh, crops.grey);
  spotter.push(
    {
      trackId: 0,
      t,
      au: a.au,
      headPose: pose,
      regionMotion: motion.landmark,
      expression: f.expression.probs,
      // appearance spotting is on by default (FrameAnalyzer)
      ...(motion.appearanceLevel ? { appearance: motion.appearanceLevel } : {}),
    },
    (e) => emitted.push(e),
  );
  buildLocalToken(0, t, f.expression, a.au, a.auVelocity);
  if (i >= 20) times.push(performance.now() - t0);
}
await cache.releaseAll();
const p50 = median(times);
const p95 = percentile(times, 95);
console.log(
  `local branch per face per frame (1 thread, ${times.length} frames): median ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`,
);
const metrics = {
  local_ms_p50: Math.round(p50 * 100) / 100,
  local_ms_p95: Math.round(p95 * 100) / 100,
  faces_at_30fps_per_core: Math.floor(1000 / 30 / p50),
};
console.log(JSON.stringify({ suite: 'vision', metrics }));
