/**
 * The core model in @tensorflow/tfjs, operation for operation the same as the ONNX graphs (onnxBlocks.ts,
 * globalLocalEncoder.ts, videoQFormer.ts, emotionHead.ts), so that weights trained here run unchanged in the ONNX
 * graphs (parity: test/model/train.test.ts). tfjs supplies the gradients; nothing here differentiates by hand.
 */
import * as tf from '@tensorflow/tfjs';
import {
  type ClipFeatures,
  clipSpans,
  contextIndices,
  defaultSpanOptions,
  type SpanOptions,
  spanIndices,
} from './coreModel.ts';
import { windowMask } from './globalLocalEncoder.ts';
import { headDim, type ModelOptions, TYPE_LOCAL, TYPE_SUMMARY } from './modelOptions.ts';
import { MASKED } from './onnxBlocks.ts';
import { streamTimeRows } from './timeEncoding.ts';
import { globalInputDim, LOCAL_INPUT_DIM } from './tokens.ts';
import { packMemory } from './videoQFormer.ts';
import { type ModelWeights, paramSpecs } from './weights.ts';

let backendReady: Promise<string> | undefined;
/**
 * Selects a tfjs backend once: WebAssembly (@tensorflow/tfjs-backend-wasm, ~4× the pure-JS backend on these
 * matrix sizes) when it is installed, else the pure-JS CPU backend. No native tfjs-node: it downloads binaries at
 * install. `MICROEMO_TF_BACKEND=cpu` forces the CPU backend.
 */
export function tfReady(): Promise<string> {
  backendReady ??= (async () => {
    if (process.env.MICROEMO_TF_BACKEND !== 'cpu') {
      try {
        await import('@tensorflow/tfjs-backend-wasm');
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          return 'wasm';
        }
      } catch {
        // not installed: fall through to the CPU backend
      }
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return 'cpu';
  })();
  return backendReady;
}

export class TfCoreModel {
  readonly vars = new Map<string, tf.Variable>();

  constructor(readonly weights: ModelWeights) {
    for (const s of paramSpecs(weights.options)) {
      const t = weights.tensors.get(s.name);
      if (!t) throw new Error(`missing ${s.name}`);
      this.vars.set(s.name, tf.variable(tf.tensor(t.data, s.shape), true, `p_${s.name}`));
    }
  }

  get o(): ModelOptions {
    return this.weights.options;
  }

  v(name: string): tf.Variable {
    const x = this.vars.get(name);
    if (!x) throw new Error(`no variable ${name}`);
    return x;
  }

  private linear(x: tf.Tensor2D, W: string, b?: string): tf.Tensor2D {
    const y = tf.matMul(x, this.v(W) as unknown as tf.Tensor2D);
    return b ? (tf.add(y, this.v(b)) as tf.Tensor2D) : (y as tf.Tensor2D);
  }

  private attention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, mask: tf.Tensor): tf.Tensor2D {
    const D = this.o.dModel;
    const H = this.o.heads;
    const dh = headDim(this.o);
    const zero = tf.zeros([1, D]);
    const k1 = tf.concat([k, zero], 0);
    const v1 = tf.concat([v, zero], 0);
    const m1 =
      mask.rank === 1 ? tf.concat([mask, tf.zeros([1])], 0) : tf.concat([mask, tf.zeros([mask.shape[0], 1])], 1);
    const qh = tf.transpose(tf.reshape(q, [-1, H, dh]), [1, 0, 2]) as tf.Tensor3D;
    const kh = tf.transpose(tf.reshape(k1, [-1, H, dh]), [1, 2, 0]) as tf.Tensor3D;
    const vh = tf.transpose(tf.reshape(v1, [-1, H, dh]), [1, 0, 2]) as tf.Tensor3D;
    const s = tf.add(tf.mul(tf.matMul(qh, kh), 1 / Math.sqrt(dh)), m1);
    const p = tf.softmax(s, -1) as tf.Tensor3D;
    return tf.reshape(tf.transpose(tf.matMul(p, vh), [1, 0, 2]), [-1, D]);
  }

  private block(prefix: string, x: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, mask: tf.Tensor): tf.Tensor2D {
    const a = this.attention(this.linear(x, `${prefix}.Wq`), k, v, mask);
    const x1 = tf.add(x, this.linear(a, `${prefix}.Wo`, `${prefix}.bo`)) as tf.Tensor2D;
    const h = tf.relu(this.linear(x1, `${prefix}.W1`, `${prefix}.b1`)) as tf.Tensor2D;
    return tf.add(x1, this.linear(h, `${prefix}.W2`, `${prefix}.b2`)) as tf.Tensor2D;
  }

  /** = batch graph: local [B,564], local_time [B,D], global [M,G], global_time [M,D], mask [B,M] → fused [B,D]. */
  encode(
    local: tf.Tensor2D,
    localTime: tf.Tensor2D,
    global: tf.Tensor2D,
    globalTime: tf.Tensor2D,
    mask: tf.Tensor2D,
  ): tf.Tensor2D {
    const gx = tf.add(this.linear(global, 'proj.global.W', 'proj.global.b'), globalTime) as tf.Tensor2D;
    let x = tf.add(this.linear(local, 'proj.local.W', 'proj.local.b'), localTime) as tf.Tensor2D;
    for (let l = 0; l < this.o.encoderLayers; l++) {
      x = this.block(`enc.${l}`, x, this.linear(gx, `enc.${l}.Wk`), this.linear(gx, `enc.${l}.Wv`), mask);
    }
    return x;
  }

  /** = Q-Former graph → tokens [Q, D]. */
  qformer(
    mem: tf.Tensor2D,
    memTime: tf.Tensor2D,
    memMask: tf.Tensor1D,
    pros: tf.Tensor2D,
    prosTime: tf.Tensor2D,
    prosMask: tf.Tensor1D,
  ): tf.Tensor2D {
    const memory = tf.concat(
      [tf.add(mem, memTime), tf.add(this.linear(pros, 'proj.prosody.W', 'proj.prosody.b'), prosTime)],
      0,
    ) as tf.Tensor2D;
    const mask = tf.concat([memMask, prosMask], 0);
    let x = this.v('qf.queries') as tf.Tensor2D;
    for (let l = 0; l < this.o.qformerLayers; l++) {
      x = this.block(`qf.${l}`, x, this.linear(memory, `qf.${l}.Wk`), this.linear(memory, `qf.${l}.Wv`), mask);
    }
    return x;
  }

  /** = head graph: logits [1, 8], probs, va [1, 2], confidence [1, 1]. */
  head(
    utt: tf.Tensor2D,
    ctx: tf.Tensor2D,
  ): { logits: tf.Tensor2D; probs: tf.Tensor2D; va: tf.Tensor2D; confidence: tf.Tensor2D } {
    const QD = this.o.queries * this.o.dModel;
    const u = tf.reshape(utt, [1, QD]) as tf.Tensor2D;
    const c = tf.reshape(ctx, [1, QD]) as tf.Tensor2D;
    const logits = tf.add(
      tf.add(this.linear(u, 'head.Wu'), this.linear(c, 'head.Wc')),
      this.v('head.b'),
    ) as tf.Tensor2D;
    const probs = tf.softmax(logits, -1) as tf.Tensor2D;
    const va = tf.tanh(
      tf.add(
        tf.add(this.linear(probs, 'head.vaP'), this.linear(u, 'head.vaWu')),
        this.linear(c, 'head.vaWc', 'head.vaB'),
      ),
    ) as tf.Tensor2D;
    const top = tf.topk(probs, 2).values;
    const conf = this.v('head.conf');
    const diff = tf.sub(tf.slice(top, [0, 0], [1, 1]), tf.slice(top, [0, 1], [1, 1]));
    const confidence = tf.sigmoid(
      tf.add(tf.mul(diff, tf.slice(conf, [0], [1])), tf.slice(conf, [1], [1])),
    ) as tf.Tensor2D;
    return { logits, probs, va, confidence };
  }

  /** The current variable values as weights (for saving and for the ONNX graphs). */
  toWeights(meta?: Record<string, unknown>): ModelWeights {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const s of paramSpecs(this.o))
      tensors.set(s.name, { shape: s.shape, data: this.v(s.name).dataSync().slice() as Float32Array });
    return { options: { ...this.o }, tensors, meta };
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/** Constant tensors of one clip for the tfjs forward (built once, reused every epoch). */
export interface PreparedClip {
  local: tf.Tensor2D;
  localTime: tf.Tensor2D;
  global: tf.Tensor2D;
  globalTime: tf.Tensor2D;
  mask: tf.Tensor2D;
  times: number[];
  spans: {
    weight: number;
    /** sel: [rows of the packed memory, B] one-hot row selection of the encoder output (padding rows 0) */
    utt: { sel: tf.Tensor2D; packed: Record<string, tf.Tensor> };
    /** ctx.sel excludes the summary row (the last real one), summaryW [1, B] averages the rows up to the span end */
    ctx: { sel: tf.Tensor2D; packed: Record<string, tf.Tensor>; summaryW: tf.Tensor2D; summaryAt: tf.Tensor2D };
  }[];
}

function tensorsOf(p: Record<string, { data: Float32Array; dims: number[] }>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(p)) out[k] = tf.tensor(v.data, v.dims);
  return out;
}

/**
 * Prepares a clip for the tfjs forward in 'full' mode with the same span rules as CoreModel.scoreClip. Memory
 * tensors hold the time encodings and masks; fused rows are gathered by index from the encoder output, and the
 * summary token is computed from the encoder output inside the forward pass (so gradients reach it too).
 */
export function prepareClip(
  c: ClipFeatures,
  o: ModelOptions,
  so: SpanOptions = defaultSpanOptions,
): PreparedClip | null {
  if (c.locals.length === 0) return null;
  const D = o.dModel;
  const G = globalInputDim(o);
  const B = c.locals.length;
  const gl = c.globals.length ? c.globals : [{ t: 0, token: new Float32Array(G) }];
  const lIn = new Float32Array(B * LOCAL_INPUT_DIM);
  for (const [i, l] of c.locals.entries()) lIn.set(l.token, i * LOCAL_INPUT_DIM);
  const gIn = new Float32Array(gl.length * G);
  for (const [i, g] of gl.entries()) gIn.set(g.token.subarray(0, G), i * G);
  const times = c.locals.map((l) => l.t);
  const mask = c.globals.length
    ? windowMask(
        times,
        gl.map((g) => g.t),
        o,
      )
    : new Float32Array(B).fill(MASKED);
  const spans: PreparedClip['spans'] = [];
  for (const span of clipSpans(c, 'full')) {
    const uIdx = spanIndices(times, span.start, span.end);
    if (uIdx.length === 0) continue;
    const cIdx = contextIndices(times, span.end, so);
    const pt = c.prosody.map((p) => p.t);
    const stub = (idx: number[]) => idx.map((i) => ({ t: times[i], token: new Float32Array(D) }));
    const uPacked = packMemory(
      {
        fused: stub(uIdx),
        prosody: spanIndices(pt, span.start, span.end).map((i) => c.prosody[i]),
        origin: span.start,
      },
      o,
    );
    const cPacked = packMemory(
      {
        fused: stub(cIdx),
        prosody: contextIndices(pt, span.end, so).map((i) => c.prosody[i]),
        origin: span.start,
        extra: [new Float32Array(D)],
      },
      o,
    );
    const upTo = spanIndices(times, Number.NEGATIVE_INFINITY, span.end);
    const sel = (idx: number[], rowsN: number) => {
      const m = new Float32Array(rowsN * B);
      for (const [r, i] of idx.entries()) m[r * B + i] = 1;
      return tf.tensor2d(m, [rowsN, B]);
    };
    const cRows = cPacked.mem.dims[0];
    const sw = new Float32Array(B);
    for (const i of upTo) sw[i] = 1 / upTo.length;
    // the summary sits right after the context's fused rows: a one-hot column [rows, 1] places it there
    const at = new Float32Array(cRows);
    at[cIdx.length] = 1;
    spans.push({
      weight: Math.max(1e-3, span.end - span.start),
      utt: { sel: sel(uIdx, uPacked.mem.dims[0]), packed: tensorsOf(uPacked) },
      ctx: {
        sel: sel(cIdx, cRows),
        packed: tensorsOf(cPacked),
        summaryW: tf.tensor2d(sw, [1, B]),
        summaryAt: tf.tensor2d(at, [cRows, 1]),
      },
    });
  }
  if (spans.length === 0) return null;
  return {
    local: tf.tensor2d(lIn, [B, LOCAL_INPUT_DIM]),
    localTime: tf.tensor2d(streamTimeRows(times, o), [B, D]),
    global: tf.tensor2d(gIn, [gl.length, G]),
    globalTime: tf.tensor2d(
      streamTimeRows(
        gl.map((g) => g.t),
        o,
      ),
      [gl.length, D],
    ),
    mask: tf.tensor2d(mask, [B, gl.length]),
    times,
    spans,
  };
}

export function disposeClip(p: PreparedClip): void {
  const all: tf.Tensor[] = [p.local, p.localTime, p.global, p.globalTime, p.mask];
  for (const s of p.spans) {
    all.push(
      s.utt.sel,
      s.ctx.sel,
      s.ctx.summaryW,
      s.ctx.summaryAt,
      ...Object.values(s.utt.packed),
      ...Object.values(s.ctx.packed),
    );
  }
  tf.dispose(all);
}

/** tfjs forward of a prepared clip → duration-weighted class probabilities [8] (and the first span's outputs). */
export function forwardClip(
  m: TfCoreModel,
  p: PreparedClip,
): { probs: tf.Tensor1D; first: ReturnType<TfCoreModel['head']>; tokens: { utt: tf.Tensor2D; ctx: tf.Tensor2D } } {
  const o = m.o;
  const D = o.dModel;
  const fused = m.encode(p.local, p.localTime, p.global, p.globalTime, p.mask);
  const timeRows = p.localTime;
  const keep = new Float32Array(D).fill(1);
  keep[TYPE_LOCAL] = 0;
  keep[TYPE_SUMMARY] = 0;
  const onehot = new Float32Array(D);
  onehot[TYPE_SUMMARY] = 1;
  let acc: tf.Tensor1D | null = null;
  let wsum = 0;
  let first: ReturnType<TfCoreModel['head']> | null = null;
  let tokens: { utt: tf.Tensor2D; ctx: tf.Tensor2D } | null = null;
  for (const s of p.spans) {
    // row selection by constant one-hot matrices: tfjs-backend-wasm has no kernel for gather's gradient
    const uMem = tf.matMul(s.utt.sel, fused) as tf.Tensor2D;
    const u = m.qformer(
      uMem,
      s.utt.packed.mem_time as tf.Tensor2D,
      s.utt.packed.mem_mask as tf.Tensor1D,
      s.utt.packed.pros as tf.Tensor2D,
      s.utt.packed.pros_time as tf.Tensor2D,
      s.utt.packed.pros_mask as tf.Tensor1D,
    );
    const summary = tf.add(
      tf.mul(tf.matMul(s.ctx.summaryW, tf.sub(fused, timeRows)), tf.tensor2d(keep, [1, D])),
      tf.tensor2d(onehot, [1, D]),
    ) as tf.Tensor2D;
    const cMem = tf.add(tf.matMul(s.ctx.sel, fused), tf.matMul(s.ctx.summaryAt, summary)) as tf.Tensor2D;
    const c = m.qformer(
      cMem,
      s.ctx.packed.mem_time as tf.Tensor2D,
      s.ctx.packed.mem_mask as tf.Tensor1D,
      s.ctx.packed.pros as tf.Tensor2D,
      s.ctx.packed.pros_time as tf.Tensor2D,
      s.ctx.packed.pros_mask as tf.Tensor1D,
    );
    const h = m.head(u, c);
    first ??= h;
    tokens ??= { utt: u, ctx: c };
    const wp = tf.mul(tf.reshape(h.probs, [-1]), s.weight) as tf.Tensor1D;
    acc = acc ? (tf.add(acc, wp) as tf.Tensor1D) : wp;
    wsum += s.weight;
  }
  if (!acc || !first || !tokens) throw new Error('clip has no spans');
  return { probs: tf.div(acc, wsum) as tf.Tensor1D, first, tokens };
}
