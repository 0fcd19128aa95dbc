/**
 * The utterance-aware video Q-Former (the paper's second idea) as an ONNX graph: Q learned queries cross-attend
 * (masked, variable length) to a memory of fused visual tokens and prosody tokens, residual + FFN, `qformerLayers`
 * times (each layer attends to the same memory with its own keys/values; no self-attention between queries: the
 * head reads the queries independently).
 *
 * Graph inputs (N fused tokens, P prosody tokens; both may be padded, the masks say which rows count):
 *   mem [N, D]        fused tokens from the encoder (already carry their stream-time encoding)
 *   mem_time [N, D]   utterance-clock encoding of each fused token (seconds since the span start)
 *   mem_mask [N]      additive mask (0 / −1e9)
 *   pros [P, 8]       prosody input tokens
 *   pros_time [P, D]  stream + utterance clock encodings of each prosody token
 *   pros_mask [P]
 * Output: tokens [Q, D].
 * Used twice per emotion: over one utterance span (→ utterance tokens) and over the recent context plus a running
 * summary token of the whole stream (→ context tokens); see utteranceEmotion.ts for how the memories are built.
 */
import type * as ort from 'onnxruntime-node';
import { TYPE_LOCAL, TYPE_SUMMARY } from './modelOptions.ts';
import { f32, MASKED, ModelGraph, sessionFromBytes } from './onnxBlocks.ts';
import { streamTimeVector, writeStreamTime, writeUtteranceTime } from './timeEncoding.ts';
import { PROSODY_INPUT_DIM } from './tokens.ts';
import type { ModelWeights } from './weights.ts';

export function buildQFormerGraph(w: ModelWeights): Uint8Array {
  const m = new ModelGraph(
    'microemo_qformer',
    w,
    'learned queries × (fused + prosody tokens of a span) → query tokens',
  );
  const D = w.options.dModel;
  const g = m.g;
  g.input('mem', 'float32', ['N', D]);
  g.input('mem_time', 'float32', ['N', D]);
  g.input('mem_mask', 'float32', ['N']);
  g.input('pros', 'float32', ['P', PROSODY_INPUT_DIM]);
  g.input('pros_time', 'float32', ['P', D]);
  g.input('pros_mask', 'float32', ['P']);
  const memX = g.op('Add', ['mem', 'mem_time']);
  const prosX = g.op('Add', [m.linear('pros', 'proj.prosody.W', 'proj.prosody.b'), 'pros_time']);
  const memory = g.op('Concat', [memX, prosX], { axis: 0 });
  const mask = g.op('Concat', ['mem_mask', 'pros_mask'], { axis: 0 });
  let x = m.w('qf.queries');
  for (let l = 0; l < w.options.qformerLayers; l++) {
    const k = m.linear(memory, `qf.${l}.Wk`);
    const v = m.linear(memory, `qf.${l}.Wv`);
    x = m.block(`qf.${l}`, x, k, v, mask, true);
  }
  g.node('Identity', [x], ['tokens']);
  g.output('tokens', 'float32', [w.options.queries, D]);
  return g.toBytes();
}

export interface TimedRow {
  t: number;
  token: Float32Array;
}

/** A Q-Former memory: fused tokens and prosody tokens, each with media time, read relative to `origin`. */
export interface QFormerMemory {
  fused: readonly TimedRow[];
  prosody: readonly TimedRow[];
  /** span start: the utterance clock counts from here */
  origin: number;
  /** extra fused-space tokens without time (the running summary) */
  extra?: readonly Float32Array[];
}

/** Packed graph inputs of a memory, optionally padded to fixed row counts (padding rows masked). */
export function packMemory(
  mem: QFormerMemory,
  o: { dModel: number; timeDims: number },
  pad: { n?: number; p?: number } = {},
): Record<string, { data: Float32Array; dims: number[] }> {
  const D = o.dModel;
  const fusedRows = [
    ...mem.fused.map((f) => ({ tok: f.token, dt: (f.t - mem.origin) as number | null })),
    ...(mem.extra ?? []).map((e) => ({ tok: e, dt: null })),
  ];
  const n = Math.max(1, pad.n ?? 0, fusedRows.length);
  const p = Math.max(1, pad.p ?? 0, mem.prosody.length);
  const memData = new Float32Array(n * D);
  const memTime = new Float32Array(n * D);
  const memMask = new Float32Array(n).fill(MASKED);
  fusedRows.forEach((r, i) => {
    memData.set(r.tok, i * D);
    if (r.dt !== null) writeUtteranceTime(memTime.subarray(i * D, (i + 1) * D), r.dt, o);
    memMask[i] = 0;
  });
  const pros = new Float32Array(p * PROSODY_INPUT_DIM);
  const prosTime = new Float32Array(p * D);
  const prosMask = new Float32Array(p).fill(MASKED);
  mem.prosody.forEach((r, i) => {
    pros.set(r.token.subarray(0, PROSODY_INPUT_DIM), i * PROSODY_INPUT_DIM);
    const row = prosTime.subarray(i * D, (i + 1) * D);
    writeStreamTime(row, r.t, o);
    writeUtteranceTime(row, r.t - mem.origin, o);
    prosMask[i] = 0;
  });
  return {
    mem: { data: memData, dims: [n, D] },
    mem_time: { data: memTime, dims: [n, D] },
    mem_mask: { data: memMask, dims: [n] },
    pros: { data: pros, dims: [p, PROSODY_INPUT_DIM] },
    pros_time: { data: prosTime, dims: [p, D] },
    pros_mask: { data: prosMask, dims: [p] },
  };
}

/**
 * Running summary of a whole stream (per track): the mean of every fused token so far, marked as a summary token
 * (type flags: local → 0, summary → 1) and without time encoding. O(D) memory however long the stream.
 */
export class RunningSummary {
  private readonly sum: Float64Array;
  private n = 0;

  constructor(private readonly o: { dModel: number; timeDims: number }) {
    this.sum = new Float64Array(o.dModel);
  }

  add(fused: Float32Array, t: number): void {
    // the stream clock is part of the fused token; remove it so the summary has no time
    const time = streamTimeVector(t, this.o);
    for (let i = 0; i < this.sum.length; i++) this.sum[i] += fused[i] - time[i];
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  token(): Float32Array | null {
    if (this.n === 0) return null;
    const out = new Float32Array(this.sum.length);
    for (let i = 0; i < out.length; i++) out[i] = this.sum[i] / this.n;
    out[TYPE_LOCAL] = 0;
    out[TYPE_SUMMARY] = 1;
    return out;
  }
}

export class VideoQFormer {
  private constructor(
    readonly weights: ModelWeights,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(weights: ModelWeights): Promise<VideoQFormer> {
    return new VideoQFormer(weights, await sessionFromBytes(buildQFormerGraph(weights)));
  }

  /** Query tokens [Q·D] of one memory. */
  async run(mem: QFormerMemory, pad: { n?: number; p?: number } = {}): Promise<Float32Array> {
    const packed = packMemory(mem, this.weights.options, pad);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(packed)) feeds[k] = f32(v.data, v.dims);
    const r = await this.session.run(feeds);
    return r.tokens.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
