/**
 * Shared ONNX building blocks of the core model's graphs (on the project's GraphBuilder): linear layers, masked
 * multi-head attention with a null "sink" slot, feed-forward blocks. Parameters become initializers named as in
 * weights.ts, so a graph's weights can be traced back to the weights file.
 *
 * Masks are additive float32: 0 = attend, MASKED = −1e9 = ignore. The sink is one extra key/value row of zeros with
 * mask 0 appended inside the graph: a token whose window holds nothing attends to it and gets 0 instead of the mean
 * of whatever stale rows the padding holds, so padding never leaks into results. The tfjs training code
 * (tfModel.ts) implements exactly the same operations.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from './graphBuilder.ts';
import { headDim, type ModelOptions } from './modelOptions.ts';
import { type ModelWeights, param } from './weights.ts';

export const MASKED = -1e9;

export class ModelGraph {
  readonly g: GraphBuilder;
  private readonly added = new Set<string>();

  constructor(
    name: string,
    readonly weights: ModelWeights,
    doc: string,
  ) {
    this.g = new GraphBuilder(name, { docString: doc });
  }

  get o(): ModelOptions {
    return this.weights.options;
  }

  /** The initializer of a parameter (added on first use). */
  w(name: string): string {
    if (!this.added.has(name)) {
      const t = param(this.weights, name);
      this.g.initializer(name, t.data, t.shape);
      this.added.add(name);
    }
    return name;
  }

  linear(x: string, W: string, b?: string): string {
    const y = this.g.op('MatMul', [x, this.w(W)]);
    return b ? this.g.op('Add', [y, this.w(b)]) : y;
  }

  /**
   * Masked multi-head attention of queries q [B, D] (already projected) over keys k, values v [W, D]; mask [B, W] or
   * [W] (additive). Returns the heads' concatenation [B, D] (before the output projection).
   */
  attention(q: string, k: string, v: string, mask: string, maskIsRow: boolean): string {
    const g = this.g;
    const D = this.o.dModel;
    const H = this.o.heads;
    const dh = headDim(this.o);
    const zeroRow = g.constFloat('sink_row', new Float32Array(D), [1, D]);
    const k1 = g.op('Concat', [k, zeroRow], { axis: 0 });
    const v1 = g.op('Concat', [v, zeroRow], { axis: 0 });
    let m1: string;
    if (maskIsRow) {
      m1 = g.op('Concat', [mask, g.constFloat('sink_mask', [0], [1])], { axis: 0 });
    } else {
      const first = g.op('Slice', [mask, g.constInt64('s0', [0]), g.constInt64('s1', [1]), g.constInt64('ax', [1])]);
      const zeroCol = g.op('Mul', [first, g.constFloat('zero', [0], [])]);
      m1 = g.op('Concat', [mask, zeroCol], { axis: 1 });
    }
    const shape3 = g.constInt64('shape_h', [-1, H, dh]);
    const qh = g.op('Transpose', [g.op('Reshape', [q, shape3])], { perm: [1, 0, 2] }); // [H, B, dh]
    const kh = g.op('Transpose', [g.op('Reshape', [k1, shape3])], { perm: [1, 2, 0] }); // [H, dh, W+1]
    const vh = g.op('Transpose', [g.op('Reshape', [v1, shape3])], { perm: [1, 0, 2] }); // [H, W+1, dh]
    const s = g.op('Mul', [g.op('MatMul', [qh, kh]), g.constFloat('scale', [1 / Math.sqrt(dh)], [])]);
    const p = g.op('Softmax', [g.op('Add', [s, m1])], { axis: -1 });
    const a = g.op('Transpose', [g.op('MatMul', [p, vh])], { perm: [1, 0, 2] }); // [B, H, dh]
    return g.op('Reshape', [a, g.constInt64('shape_d', [-1, D])]);
  }

  /** Residual attention + FFN block `prefix` (enc.l / qf.l) for queries x over given keys/values. */
  block(prefix: string, x: string, k: string, v: string, mask: string, maskIsRow: boolean): string {
    const q = this.linear(x, `${prefix}.Wq`);
    const a = this.attention(q, k, v, mask, maskIsRow);
    const x1 = this.g.op('Add', [x, this.linear(a, `${prefix}.Wo`, `${prefix}.bo`)]);
    return this.ffn(prefix, x1);
  }

  ffn(prefix: string, x: string): string {
    const h = this.g.op('Relu', [this.linear(x, `${prefix}.W1`, `${prefix}.b1`)]);
    return this.g.op('Add', [x, this.linear(h, `${prefix}.W2`, `${prefix}.b2`)]);
  }
}

/** An onnxruntime session over graph bytes, one intra-op thread (many streams share few cores). */
export async function sessionFromBytes(bytes: Uint8Array, threads = 1): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: false,
  });
}

export function f32(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims as number[]);
}
