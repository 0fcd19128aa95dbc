import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { float, GraphBuilder, onnx } from '../../src/model/graphBuilder.ts';

function tiny(): GraphBuilder {
  const g = new GraphBuilder('tiny');
  g.input('x', 'float32', ['n', 3]);
  g.initializer('w', Float32Array.from([1, 0, 2, 0, 1, -1]), [3, 2]);
  const b = g.constFloat('b', [0.5, -0.5]);
  const y = g.op('MatMul', ['x', 'w']);
  const z = g.op('Add', [y, b]);
  g.node('LeakyRelu', [z], ['act'], { alpha: float(0.1) });
  const shape = g.constInt64('shape', [-1]);
  g.node('Reshape', ['act', shape], ['flat']);
  g.node('Softmax', ['act'], ['probs'], { axis: -1 });
  g.output('flat', 'float32', ['m']);
  g.output('probs', 'float32', ['n', 2]);
  return g;
}

test('graph builder: a tiny graph runs in onnxruntime with the expected values', async () => {
  const session = await ort.InferenceSession.create(tiny().toBytes());
  assert.deepEqual(session.inputNames, ['x']);
  assert.deepEqual(session.outputNames, ['flat', 'probs']);
  const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, -1, -1, -1]), [2, 3]);
  const out = await session.run({ x });
  // w = [[1,0],[2,0],[1,-1]]. row 1: [8, -3] + [0.5,-0.5] = [8.5, -3.5] -> leaky [8.5, -0.35]; row 2: [-4, 1] + b -> [-0.35, 0.5]
  const flat = Array.from(out.flat.data as Float32Array);
  const want = [8.5, -0.35, -0.35, 0.5];
  assert.equal(flat.length, 4);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(flat[i] - want[i]) < 1e-6, `flat[${i}] ${flat[i]} != ${want[i]}`);
  const p = out.probs.data as Float32Array;
  const e = Math.exp(-0.35 - 8.5);
  assert.ok(Math.abs(p[0] - 1 / (1 + e)) < 1e-6);
  assert.ok(Math.abs(p[2] + p[3] - 1) < 1e-6);
  session.release();
});

test('graph builder: same calls give identical bytes; names are unique and stable', () => {
  const a = tiny().toBytes();
  const b = tiny().toBytes();
  assert.deepEqual(Buffer.from(a), Buffer.from(b));
  const m = onnx.ModelProto.decode(a);
  assert.equal(Number(m.opsetImport[0].version), 17);
  assert.deepEqual(
    (m.graph?.initializer ?? []).map((t) => t.name),
    ['w', 'b', 'shape'],
  );
  const g = new GraphBuilder('names');
  g.input('add', 'float32', [1]);
  assert.equal(g.name('add'), 'add_1');
  assert.equal(g.name('add'), 'add_2');
  assert.throws(() => g.input('add', 'float32', [1]), /defined twice/);
  g.output('missing', 'float32');
  assert.throws(() => g.toBytes(), /missing is never produced/);
});
