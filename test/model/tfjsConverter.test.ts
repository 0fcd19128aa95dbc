import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { convertTfjsGraph } from '../../src/model/tfjsConverter.ts';
import { decodeWeights, type TfjsModelJson } from '../../src/model/tfjsWeights.ts';

function fakeModel(op: string): TfjsModelJson {
  return {
    format: 'graph-model',
    modelTopology: {
      node: [
        {
          name: 'x',
          op: 'Placeholder',
          attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '4' }] } } },
        },
        { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' } } },
        { name: 'y', op: 'MatMul', input: ['x', 'w'], attr: { transpose_a: { b: false }, transpose_b: { b: true } } },
        { name: 'weird', op, input: ['y'] },
      ],
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: [
          { name: 'w', shape: [2, 4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
        ],
      },
    ],
  };
}
// uint8 0..7 → q·0.5 − 1 = −1, −0.5, 0, 0.5 | 1, 1.5, 2, 2.5
const SHARD = [Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7])];

test('converter: an unsupported op fails naming the op and the node', () => {
  const m = fakeModel('FancyNewOp');
  assert.throws(
    () => convertTfjsGraph(m, decodeWeights(m.weightsManifest, SHARD), { name: 'fake' }),
    /node "weird" \(FancyNewOp\): unsupported op FancyNewOp/,
  );
});

test('converter: uint8-quantised weights, transpose_b, symbolic batch and ops run with the right values', async () => {
  const m = fakeModel('Relu6');
  const weights = decodeWeights(m.weightsManifest, SHARD);
  assert.deepEqual(Array.from(weights.get('w')?.data ?? []), [-1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5]);
  const res = convertTfjsGraph(m, weights, { name: 'fake', extraOutputs: { pre: 'y' } });
  assert.deepEqual(res.inputs, [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }]);
  assert.deepEqual(
    res.outputs.map((o) => o.name),
    ['weird', 'pre'],
  );
  const s = await ort.InferenceSession.create(res.bytes);
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, -1, -1, -1, -1]), [2, 4]) });
  // y = x · wᵀ: row 1 → [-1 -1 + 0 + 2, 1 + 3 + 6 + 10] = [0, 20]; row 2 → [1, -7]; relu6 clips
  assert.deepEqual(Array.from(out.pre.data as Float32Array), [0, 20, 1, -7]);
  assert.deepEqual(Array.from(out.weird.data as Float32Array), [0, 6, 1, 0]);
  await s.release();
});

test('converter: float16 weights decode like tfjs', () => {
  const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001]).buffer);
  const w = decodeWeights(
    [{ paths: [], weights: [{ name: 'h', shape: [4], dtype: 'float32', quantization: { dtype: 'float16' } }] }],
    [half],
  ).get('h');
  const v = Array.from(w?.data ?? []);
  assert.equal(v[0], 1);
  assert.equal(v[1], -2);
  assert.ok(Math.abs(v[2] - 0.333251953125) < 1e-9);
  assert.ok(Math.abs(v[3] - 2 ** -24) < 1e-12);
});

test('converter: nodes listed out of order convert to the same graph', () => {
  const m = fakeModel('Relu');
  const shuffled: TfjsModelJson = {
    ...m,
    modelTopology: { node: [...m.modelTopology.node].reverse() },
  };
  const w = decodeWeights(m.weightsManifest, SHARD);
  assert.deepEqual(
    Buffer.from(convertTfjsGraph(shuffled, w, { name: 'fake' }).bytes),
    Buffer.from(convertTfjsGraph(m, w, { name: 'fake' }).bytes),
  );
});

test('converter: a per-channel constant with equal values becomes a scalar (or drops out), with the same values', async () => {
  const vec = (name: string) => ({ name, op: 'Const', attr: { dtype: { type: 'DT_FLOAT' } } });
  const m: TfjsModelJson = {
    format: 'graph-model',
    modelTopology: {
      node: [
        {
          name: 'x',
          op: 'Placeholder',
          attr: {
            dtype: { type: 'DT_FLOAT' },
            shape: { shape: { dim: [{ size: '1' }, { size: '2' }, { size: '2' }, { size: '3' }] } },
          },
        },
        vec('zero'),
        vec('scale'),
        vec('offset'),
        { name: 'centred', op: 'Sub', input: ['x', 'zero'] },
        { name: 'scaled', op: 'Mul', input: ['centred', 'scale'] },
        { name: 'y', op: 'AddV2', input: ['scaled', 'offset'] },
      ],
    },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: ['zero', 'scale', 'offset'].map((name) => ({ name, shape: [1, 1, 1, 3], dtype: 'float32' as const })),
      },
    ],
  };
  // zero = [0,0,0], scale = [0.5 ×3] (uniform), offset = [1,2,3] (per channel, kept as a vector)
  const shard = new Uint8Array(Float32Array.from([0, 0, 0, 0.5, 0.5, 0.5, 1, 2, 3]).buffer);
  const res = convertTfjsGraph(m, decodeWeights(m.weightsManifest, [shard]), { name: 'norm' });
  const s = await ort.InferenceSession.create(res.bytes);
  const x = Float32Array.from({ length: 12 }, (_, i) => i - 4);
  const out = await s.run({ x: new ort.Tensor('float32', x, [1, 2, 2, 3]) });
  assert.deepEqual(out.y.dims, [1, 2, 2, 3]);
  assert.deepEqual(
    Array.from(out.y.data as Float32Array),
    Array.from(x, (v, i) => v * 0.5 + [1, 2, 3][i % 3]),
  );
  await s.release();
  // the zero subtraction is an Identity, the uniform scale a scalar initializer; the offset stays a [1,1,1,3] vector
  const text = Buffer.from(res.bytes).toString('latin1');
  assert.ok(text.includes('Identity'), 'x − 0 becomes an Identity');
  assert.ok(!text.includes('Sub'), 'no Sub node is left');
});
