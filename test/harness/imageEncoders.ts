/** Tiny ONNX image encoders with known outputs (built with the project's graph builder), for tests. */
import { writeFileSync } from 'node:fs';
import { GraphBuilder } from '../../src/model/graphBuilder.ts';

/** W maps the 3 mean channels to 4 features. */
export const W = [1, 0, 0.5, -1, 0, 1, 0.5, 2, 0, 0, 1, 0.25];

/** NCHW [1,3,32,32] → per-channel mean → ·W → [1,4]; `featureMap` instead outputs the pooled [1,3,1,1]. */
export function writeEncoder(path: string, kind: 'nchw' | 'nhwc' | 'featureMap'): string {
  const g = new GraphBuilder(`enc_${kind}`);
  if (kind === 'nhwc') {
    g.input('image', 'float32', [1, 16, 24, 3]);
    g.node('ReduceMean', ['image'], ['mean'], { axes: [1, 2], keepdims: 0 });
  } else {
    g.input('image', 'float32', [1, 3, 32, 'w']);
    g.node('GlobalAveragePool', ['image'], [kind === 'featureMap' ? 'embedding' : 'pooled']);
    if (kind === 'nchw') g.node('Flatten', ['pooled'], ['mean']);
  }
  if (kind !== 'featureMap') {
    g.initializer('W', Float32Array.from(W), [3, 4]);
    g.node('MatMul', ['mean', 'W'], ['embedding']);
    g.output('embedding', 'float32', [1, 4]);
  } else g.output('embedding', 'float32', [1, 3, 1, 1]);
  writeFileSync(path, g.toBytes());
  return path;
}
