import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GraphBuilder } from '../../src/model/graphBuilder.ts';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import { ImageEncoder, reduceEmbedding } from '../../src/vision/imageEncoder.ts';
import { W, writeEncoder } from '../harness/imageEncoders.ts';

const dir = mkdtempSync(join(tmpdir(), 'microemo-imgenc-'));
const cache = new OrtSessionCache({ intraOpThreads: 1 });
after(async () => {
  await cache.releaseAll();
  rmSync(dir, { recursive: true, force: true });
});

/** ImageNet-normalised value of a 0..255 channel value. */
const norm = (v: number, c: number) => (v / 255 - [0.485, 0.456, 0.406][c]) / [0.229, 0.224, 0.225][c];

function solid(width: number, height: number, rgb: [number, number, number]) {
  const px = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) px.set(rgb, i * 3);
  return { width, height, rgb: px };
}

test('image encoder: NCHW and NHWC inputs, symbolic size at the default, embedding = W·normalised mean colour', async () => {
  const colour: [number, number, number] = [51, 102, 153];
  const want = [0, 1, 2, 3].map((k) => [0, 1, 2].reduce((s, c) => s + norm(colour[c], c) * W[c * 4 + k], 0));
  for (const kind of ['nchw', 'nhwc'] as const) {
    const enc = await ImageEncoder.load(cache, writeEncoder(join(dir, `${kind}.onnx`), kind), { defaultSize: 40 });
    assert.equal(enc.dim, 4, kind);
    // the fixed dims are used as given; a symbolic one takes defaultSize
    assert.deepEqual([enc.height, enc.width], kind === 'nchw' ? [32, 40] : [16, 24]);
    const v = await enc.embed(solid(64, 48, colour));
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(v[k] - want[k]) < 1e-4, `${kind}[${k}] ${v[k]} vs ${want[k]}`);
  }
});

test('image encoder: a feature-map output is averaged over its spatial dims; a ViT-like [1,T,C] gives its first token', async () => {
  const enc = await ImageEncoder.load(cache, writeEncoder(join(dir, 'fm.onnx'), 'featureMap'));
  assert.equal(enc.dim, 3);
  const v = await enc.embed(solid(20, 20, [255, 0, 128]));
  const want = [norm(255, 0), norm(0, 1), norm(128, 2)];
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(v[c] - want[c]) < 1e-4, `channel ${c}: ${v[c]} vs ${want[c]}`);
  assert.deepEqual(Array.from(reduceEmbedding(Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3])), [1, 2, 3]);
  assert.deepEqual(Array.from(reduceEmbedding(Float32Array.from([1, 3, 2, 4]), [1, 2, 2, 1])), [2, 3]);
  assert.throws(() => reduceEmbedding(new Float32Array(32), [1, 2, 2, 2, 2]), /rank 5/);
});

test('image encoder: a model without an image input is refused with the reason', async () => {
  const g = new GraphBuilder('flat');
  g.input('x', 'float32', [1, 8]);
  g.node('Relu', ['x'], ['y']);
  g.output('y', 'float32', [1, 8]);
  const path = join(dir, 'flat.onnx');
  writeFileSync(path, g.toBytes());
  await assert.rejects(
    ImageEncoder.load(cache, path),
    /flat\.onnx: first input must be a 4-D image tensor, got \[1,8\]/,
  );
  const h = new GraphBuilder('grey');
  h.input('x', 'float32', [1, 1, 8, 8]);
  h.node('Relu', ['x'], ['y']);
  h.output('y', 'float32', [1, 1, 8, 8]);
  const p2 = join(dir, 'grey.onnx');
  writeFileSync(p2, h.toBytes());
  await assert.rejects(ImageEncoder.load(cache, p2), /has no 3-channel axis/);
});
