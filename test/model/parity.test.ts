/**
 * Every converted model against the original on tfjs (pure JS CPU backend), on real face photos:
 * max |onnx − tfjs| ≤ 1e-3 × max |tfjs| per output (extra outputs included).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { FACE_EXPRESSION_LABELS } from '../../src/model/faceExpressionNet.ts';
import { buildModel, MODEL_SPECS, packageRoot, type TfjsModelSpec } from '../../src/model/modelBuild.ts';
import { loadTfjsModel } from '../../src/model/tfjsWeights.ts';
import { facePhotos, humanPreprocess, loadGraphModel, maxAbsDiff, photoRgb, type Tf, tfjs } from './tfjsReference.ts';

const TOL = 1e-3;

let tf: Tf;
let photos: string[];
before(async () => {
  ({ tf } = await tfjs());
  photos = facePhotos();
  assert.ok(photos.length >= 2, 'face-api demo photos missing');
});

// big models on one photo, small ones on two: the reference runs on tfjs' pure-JS backend and the suite stays fast
const PHOTOS_PER_MODEL: Record<string, number> = { faceres: 1, movenet: 1 };

for (const spec of MODEL_SPECS.filter((s): s is TfjsModelSpec => s.kind === 'tfjs')) {
  test(`parity: ${spec.name} (onnxruntime vs tfjs on real photos)`, async () => {
    const built = buildModel(spec);
    const session = await ort.InferenceSession.create(built.bytes, { intraOpNumThreads: 1 });
    const loaded = loadTfjsModel(`${packageRoot(spec.package)}/${spec.json}`);
    const model = await loadGraphModel(tf, loaded);
    const input = built.inputs[0];
    // a free spatial size (BlazeFace) is checked at the size the tfjs graph declares
    const native = loaded.json.modelTopology.node
      .find((n) => n.op === 'Placeholder')
      ?.attr?.shape?.shape?.dim?.map((d) => Number(d.size));
    const [, h, w, c] = (input.shape ?? []).map((d, i) => (typeof d === 'number' ? d : Number(native?.[i])));
    try {
      for (const photo of photos.slice(0, PHOTOS_PER_MODEL[spec.name] ?? 2)) {
        const data = humanPreprocess(spec.name, await photoRgb(photo, w, h));
        assert.equal(data.length, h * w * c);
        const out = await session.run({ [input.name]: new ort.Tensor(input.dtype as 'float32', data, [1, h, w, c]) });
        // the tfjs tensors behind each ONNX output (extra outputs with a reduction are recomputed in tfjs)
        const fetches = built.outputs.map((o) => o.source ?? o.name);
        const x = tf.tensor(data, [1, h, w, c], input.dtype);
        const refs = model.execute(
          { [loaded.json.modelTopology.node.find((n) => n.op === 'Placeholder')?.name ?? '']: x },
          fetches,
        );
        const refList = Array.isArray(refs) ? refs : [refs];
        for (const [i, o] of built.outputs.entries()) {
          const extra = spec.convert?.extraOutputs?.[o.name];
          let ref = refList[i];
          if (typeof extra === 'object' && extra.reduce === 'spatialMean') ref = tf.mean(ref, [1, 2]);
          const refData = ref.dataSync() as Float32Array;
          const got = out[o.name];
          assert.deepEqual(got.dims, ref.shape, `${spec.name}.${o.name} shape`);
          const { diff, scale } = maxAbsDiff(got.data as Float32Array, refData);
          assert.ok(
            diff <= TOL * Math.max(scale, 1e-6),
            `${spec.name}.${o.name}: max abs diff ${diff} > ${TOL} × scale ${scale} (${photo})`,
          );
          console.log(
            `parity ${spec.name}.${o.name}: max abs diff ${diff.toExponential(2)} (scale ${scale.toFixed(3)})`,
          );
        }
        tf.dispose([x, ...refList]);
      }
    } finally {
      model.dispose();
      await session.release();
    }
  });
}

test('parity: faceexpression (onnxruntime vs face-api faceExpressionNet on tfjs)', async () => {
  const { faceapi } = await tfjs();
  const spec = MODEL_SPECS.find((s) => s.name === 'faceexpression');
  assert.ok(spec);
  const built = buildModel(spec);
  const session = await ort.InferenceSession.create(built.bytes, { intraOpNumThreads: 1 });
  // face-api's own loader path: decode the weight map with tfjs, hand it to the package's network class
  const dir = `${packageRoot('@vladmandic/face-api')}/model/`;
  const { readFileSync } = await import('node:fs');
  const manifest = JSON.parse(readFileSync(`${dir}face_expression_model-weights_manifest.json`, 'utf8'));
  const bin = readFileSync(`${dir}${manifest[0].paths[0]}`);
  const weightMap = tf.io.decodeWeights(
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    manifest[0].weights,
  );
  const net = new faceapi.FaceExpressionNet();
  net.loadFromWeightMap(weightMap);
  try {
    const winners: string[] = [];
    for (const photo of photos.slice(0, 3)) {
      const rgb = await photoRgb(photo, 112, 112);
      const data = Float32Array.from(rgb);
      const out = await session.run({ input: new ort.Tensor('float32', data, [1, 112, 112, 3]) });
      const x = tf.tensor4d(data, [1, 112, 112, 3]);
      const netInput = await faceapi.toNetInput(x);
      const probs = net.forwardInput(netInput);
      const features = net.faceFeatureExtractor.forwardInput(netInput);
      const refProbs = probs.dataSync() as Float32Array;
      const p = maxAbsDiff(out.probs.data as Float32Array, refProbs);
      const e = maxAbsDiff(out.embedding.data as Float32Array, features.dataSync() as Float32Array);
      console.log(
        `parity faceexpression: probs diff ${p.diff.toExponential(2)}, embedding diff ${e.diff.toExponential(2)} (scale ${e.scale.toFixed(3)})`,
      );
      assert.ok(p.diff <= TOL * p.scale, `probs diff ${p.diff}`);
      assert.ok(e.diff <= TOL * e.scale, `embedding diff ${e.diff}`);
      const best = Array.from(refProbs).indexOf(Math.max(...refProbs));
      winners.push(FACE_EXPRESSION_LABELS[best]);
      tf.dispose([x, probs, features]);
    }
    console.log(`faceexpression top classes on the demo photos: ${winners.join(', ')}`);
  } finally {
    net.dispose();
    await session.release();
  }
});
