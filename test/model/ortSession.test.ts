import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildModels } from '../../src/model/modelBuild.ts';
import { OrtSessionCache, ortOptionsSchema } from '../../src/model/ortSession.ts';
import { facePhotos, photoRgb } from './tfjsReference.ts';

let dir: string;
let cache: OrtSessionCache;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'microemo-ort-'));
  buildModels({ outDir: dir, only: ['faceexpression', 'movenet'] });
  cache = new OrtSessionCache();
});
after(async () => {
  await cache.releaseAll();
  rmSync(dir, { recursive: true, force: true });
});

test('ort options: one CPU thread, CPU provider and one warm-up run by default', () => {
  assert.deepEqual(ortOptionsSchema.parse({}), {
    provider: 'cpu',
    cudaDeviceId: 0,
    intraOpThreads: 1,
    interOpThreads: 1,
    warmupRuns: 1,
  });
  assert.throws(() => ortOptionsSchema.parse({ provider: 'tpu' }));
  assert.equal(ortOptionsSchema.parse({ intraOpThreads: '2' }).intraOpThreads, 2);
});

test('ort session cache: one session per file; a missing file names itself', async () => {
  const a = await cache.model('faceexpression', dir);
  const b = await cache.get(join(dir, 'faceexpression.onnx'));
  assert.equal(a, b);
  assert.equal(a.provider, 'cpu');
  assert.deepEqual(a.inputs, [{ name: 'input', type: 'float32', shape: ['batch', 112, 112, 3] }]);
  await assert.rejects(cache.model('nothing', dir), /nothing\.onnx is missing/);
});

test('ort runBatch: stacked faces give the same outputs as one-by-one runs', async () => {
  const m = await cache.model('faceexpression', dir);
  assert.equal(m.batchable, true);
  const faces = await Promise.all(
    facePhotos()
      .slice(0, 3)
      .map(async (p) => Float32Array.from(await photoRgb(p, 112, 112))),
  );
  const batched = await m.runBatch(faces);
  assert.equal(batched.length, 3);
  for (const [i, face] of faces.entries()) {
    const [single] = await m.runBatch([face]);
    assert.equal(batched[i].probs.length, 7);
    assert.equal(batched[i].embedding.length, 256);
    for (let k = 0; k < 7; k++) assert.ok(Math.abs(batched[i].probs[k] - single.probs[k]) < 1e-5);
  }
  // fixed-batch models (movenet: [1,192,192,3] int32) are run once per sample
  const mn = await cache.model('movenet', dir);
  assert.equal(mn.batchable, false);
  const img = new Int32Array(192 * 192 * 3);
  const two = await mn.runBatch([img, img]);
  assert.equal(two.length, 2);
  assert.equal(two[1].keypoints.length, 17 * 3);
  await assert.rejects(m.runBatch([new Float32Array(5)]), /expected 37632/);
});

test('ort: asking for CUDA where it is not installed falls back to CPU', async () => {
  const c = new OrtSessionCache({ provider: 'cuda', warmupRuns: 0 });
  try {
    const m = await c.model('faceexpression', dir);
    assert.equal(m.provider, 'cpu');
  } finally {
    await c.releaseAll();
  }
});
