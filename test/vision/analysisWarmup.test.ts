/**
 * The vision worker's warm-up runs the real per-frame path: the demo photo's face is found and tracked on every frame,
 * with the detector, the mesh, the expression nets, body pose and the descriptor all run at least once.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { OrtModel, OrtSessionCache } from '../../src/model/ortSession.ts';
import { warmFrameAnalysis } from '../../src/vision/analysisWarmup.ts';
import { FaceDescriptor } from '../../src/vision/faceDescriptor.ts';
import { FaceStack } from '../../src/vision/faceStack.ts';
import { FrameAnalyzer } from '../../src/vision/frameAnalyzer.ts';
import { MoveNet } from '../../src/vision/movenet.ts';

const cache = new OrtSessionCache({ intraOpThreads: 1, warmupRuns: 0 });
after(() => cache.releaseAll());

test('warm-up analyses 15 frames of one tracked face and runs every model of the frame path', async () => {
  const stack = await FaceStack.load({ cache });
  const movenet = new MoveNet(await cache.model('movenet'));
  const descriptor = new FaceDescriptor(await cache.model('faceres'));
  const runs = new Map<string, number>();
  const run = OrtModel.prototype.run;
  OrtModel.prototype.run = function (this: OrtModel, feeds) {
    const name = this.path.split('/').pop() ?? '';
    runs.set(name, (runs.get(name) ?? 0) + 1);
    return run.call(this, feeds);
  };
  try {
    const analyzer = new FrameAnalyzer(stack, movenet, {}, undefined, undefined, descriptor);
    assert.deepEqual(await warmFrameAnalysis(analyzer, 15), { frames: 15, faces: 1 });
  } finally {
    OrtModel.prototype.run = run;
  }
  // the detector on frames 0 and 10 (detectEvery 10), the tracking mesh and both nets on every frame
  assert.equal(runs.get('blazeface.onnx'), 2);
  assert.ok((runs.get('facemesh.onnx') ?? 0) >= 15);
  assert.ok((runs.get('emotion.onnx') ?? 0) >= 15);
  assert.ok((runs.get('faceexpression.onnx') ?? 0) >= 15);
  assert.ok((runs.get('movenet.onnx') ?? 0) >= 1);
  assert.equal(runs.get('faceres.onnx'), 1);
});
