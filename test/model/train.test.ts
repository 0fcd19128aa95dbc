import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CoreModel } from '../../src/model/coreModel.ts';
import { defaultWeights } from '../../src/model/defaultWeights.ts';
import { LOCAL_INPUT_DIM } from '../../src/model/tokens.ts';
import { type LabeledClip, predictTf, stratifiedSplit, trainModel } from '../../src/model/trainer.ts';
import { loadWeights, parseWeights, saveWeights, serializeWeights } from '../../src/model/weights.ts';
import { syntheticClip } from './synthetic.ts';

const clips: LabeledClip[] = [];
for (let c = 0; c < 8; c++)
  for (let s = 0; s < 4; s++) clips.push({ features: syntheticClip(c, 1000 * c + s), label: c, speaker: `s${s}` });

test('training on synthetic features learns a signal the defaults ignore (> 95 % training accuracy); tfjs and ONNX agree', async () => {
  const r = await trainModel(clips, { epochs: 16, learningRate: 5e-3, batchSize: 8, seed: 3 });
  assert.ok(
    r.trainAccuracy > 0.95,
    `training accuracy ${r.trainAccuracy}, losses ${r.losses.map((l) => l.toFixed(3))}`,
  );
  assert.ok(r.losses[r.losses.length - 1] < r.losses[0]);
  // parity: the trained weights give the same probabilities in the tfjs training code and the ONNX graphs
  const feats = clips.slice(0, 8).map((c) => c.features);
  const tfProbs = await predictTf(r.weights, feats);
  const m = await CoreModel.create(r.weights);
  let worst = 0;
  for (const [i, f] of feats.entries()) {
    const p = (await m.scoreClip(f)) as Float32Array;
    for (let k = 0; k < 8; k++) worst = Math.max(worst, Math.abs(p[k] - (tfProbs[i] as Float32Array)[k]));
  }
  assert.ok(worst < 1e-5, `tfjs vs ONNX max |Δp| = ${worst}`);
  console.log(`train accuracy ${r.trainAccuracy}, tfjs/ONNX parity max |Δp| ${worst.toExponential(2)}`);
  await m.release();
  // the weights file round-trips exactly
  const dir = mkdtempSync(join(tmpdir(), 'microemo-w-'));
  try {
    const f = join(dir, 'w.json');
    saveWeights(f, r.weights);
    assert.equal(serializeWeights(loadWeights(f)), serializeWeights(r.weights));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weights files with a wrong format, shape or size are rejected with the reason', () => {
  assert.throws(() => parseWeights('nope'), /not JSON/);
  assert.throws(() => parseWeights('{"format":"x","version":1}'), /not a microemo-weights v1 file/);
  assert.throws(
    () => parseWeights('{"format":"microemo-weights","version":1,"options":{},"tensors":{}}'),
    /proj\.local\.W is missing/,
  );
});

test('a weights file from before the asymmetry input (local width 563) loads with a zero row for it', () => {
  const w = defaultWeights();
  const j = JSON.parse(serializeWeights(w));
  const t = j.tensors['proj.local.W'];
  const D = t.shape[1];
  t.shape = [LOCAL_INPUT_DIM - 1, D];
  t.data = Buffer.from(t.data, 'base64')
    .subarray(0, (LOCAL_INPUT_DIM - 1) * D * 4)
    .toString('base64');
  const old = parseWeights(JSON.stringify(j)).tensors.get('proj.local.W');
  const now = w.tensors.get('proj.local.W');
  assert.ok(old && now);
  assert.deepEqual(old.shape, [LOCAL_INPUT_DIM, D]);
  assert.deepEqual(old.data.subarray(0, (LOCAL_INPUT_DIM - 1) * D), now.data.subarray(0, (LOCAL_INPUT_DIM - 1) * D));
  assert.ok(old.data.subarray((LOCAL_INPUT_DIM - 1) * D).every((x) => x === 0));
  t.shape = [LOCAL_INPUT_DIM - 2, D];
  assert.throws(() => parseWeights(JSON.stringify(j)), /proj\.local\.W has shape/);
});

test('stratified split is deterministic and keeps every class in training', () => {
  const a = stratifiedSplit(clips, 0.25, 1);
  const b = stratifiedSplit(clips, 0.25, 1);
  assert.deepEqual(
    a.val.map((x) => x.features.file),
    b.val.map((x) => x.features.file),
  );
  assert.equal(a.val.length, 8);
  for (let c = 0; c < 8; c++) assert.ok(a.train.some((x) => x.label === c));
});
