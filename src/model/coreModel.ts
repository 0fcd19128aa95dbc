/**
 * The core model as one object: encoder + Q-Former + head sessions for one set of weights, and the rules that turn
 * a span (an utterance, or a window for a face that does not speak) into the two Q-Former memories:
 *   utterance memory: the track's fused tokens and the prosody tokens with t in [start, end], utterance clock from
 *                     `start`;
 *   context memory:   fused + prosody tokens in [end − contextS, end], thinned to ≤ contextHz per second, plus the
 *                     running summary token of the whole stream, utterance clock from `start` (negative before it).
 * `scoreClip` runs a whole labelled clip (train/eval) in batch form, with the ablation modes of `microemo eval`.
 */
import { EMOTION_CLASSES } from '../events/schema.ts';
import { EmotionHead, type HeadOutput } from './emotionHead.ts';
import { GlobalLocalEncoder } from './globalLocalEncoder.ts';
import { type ModelOptions, TYPE_LOCAL, TYPE_SUMMARY } from './modelOptions.ts';
import { streamTimeRows } from './timeEncoding.ts';
import { LOCAL_INPUT, LOCAL_INPUT_DIM, type TimedToken } from './tokens.ts';
import { type QFormerMemory, VideoQFormer } from './videoQFormer.ts';
import type { ModelWeights } from './weights.ts';

export interface SpanOptions {
  /** seconds of recent context for the context tokens */
  contextS: number;
  /** at most this many fused (and prosody) tokens per second in the context memory */
  contextHz: number;
}
export const defaultSpanOptions: SpanOptions = { contextS: 30, contextHz: 10 };

const EPS = 1e-6;

/** Indices of times within [start, end]. */
export function spanIndices(times: readonly number[], start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < times.length; i++) if (times[i] >= start - EPS && times[i] <= end + EPS) out.push(i);
  return out;
}

/** Indices of times within [end − contextS, end], thinned to ≤ contextHz per second (evenly, deterministic). */
export function contextIndices(times: readonly number[], end: number, o: SpanOptions): number[] {
  const all = spanIndices(times, end - o.contextS, end);
  if (all.length < 2) return all;
  const dur = Math.max(EPS, times[all[all.length - 1]] - times[all[0]]);
  const max = Math.max(1, Math.ceil(dur * o.contextHz) + 1);
  if (all.length <= max) return all;
  const step = all.length / max;
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(all[Math.min(all.length - 1, Math.floor(k * step))]);
  // always keep the newest token
  if (out[out.length - 1] !== all[all.length - 1]) out[out.length - 1] = all[all.length - 1];
  return out;
}

/** Summary token from fused tokens (mean without the stream clock, typed as summary). */
export function summaryOf(fused: readonly { t: number; fused: Float32Array }[], o: ModelOptions): Float32Array | null {
  if (fused.length === 0) return null;
  const D = o.dModel;
  const time = streamTimeRows(
    fused.map((f) => f.t),
    o,
  );
  const sum = new Float64Array(D);
  fused.forEach((f, i) => {
    for (let j = 0; j < D; j++) sum[j] += f.fused[j] - time[i * D + j];
  });
  const out = new Float32Array(D);
  for (let j = 0; j < D; j++) out[j] = sum[j] / fused.length;
  out[TYPE_LOCAL] = 0;
  out[TYPE_SUMMARY] = 1;
  return out;
}

export interface SpanInputs {
  fused: readonly { t: number; fused: Float32Array }[];
  prosody: readonly TimedToken[];
  /** summary token of the whole stream up to the span end (null: none yet) */
  summary: Float32Array | null;
}

export function spanMemories(
  x: SpanInputs,
  span: { start: number; end: number },
  o: SpanOptions,
): { utt: QFormerMemory; ctx: QFormerMemory } {
  const ft = x.fused.map((f) => f.t);
  const pt = x.prosody.map((p) => p.t);
  const pick = (idx: number[]) => idx.map((i) => ({ t: x.fused[i].t, token: x.fused[i].fused }));
  const utt: QFormerMemory = {
    fused: pick(spanIndices(ft, span.start, span.end)),
    prosody: spanIndices(pt, span.start, span.end).map((i) => x.prosody[i]),
    origin: span.start,
  };
  const ctx: QFormerMemory = {
    fused: pick(contextIndices(ft, span.end, o)),
    prosody: contextIndices(pt, span.end, o).map((i) => x.prosody[i]),
    origin: span.start,
    extra: x.summary ? [x.summary] : [],
  };
  return { utt, ctx };
}

/** One labelled clip's features (what a ClipFeatureExtractor produces; cached per clip). */
export interface ClipFeatures {
  file: string;
  durationS: number;
  /** local tokens of the clip's main face (the track with the most frames) */
  locals: TimedToken[];
  /** global input tokens (tokens.ts GLOBAL layout) */
  globals: TimedToken[];
  prosody: TimedToken[];
  /** VAD utterances */
  utterances: { start: number; end: number }[];
}

/** `eval` ablation modes: (a) frameMean, (b) globalOnly, (c) localOnly, (d) fixedWindows, (e) full. */
export const ABLATIONS = ['frameMean', 'globalOnly', 'localOnly', 'fixedWindows', 'full'] as const;
export type Ablation = (typeof ABLATIONS)[number];

/** Spans a clip is read in: its utterances (merged when overlapping), or the whole face track when none. */
export function clipSpans(c: ClipFeatures, mode: Ablation, fixedWindowS = 2): { start: number; end: number }[] {
  if (c.locals.length === 0) return [];
  const first = c.locals[0].t;
  const last = c.locals[c.locals.length - 1].t;
  if (mode === 'fixedWindows') {
    const spans: { start: number; end: number }[] = [];
    for (let s = first; s <= last + EPS; s += fixedWindowS)
      spans.push({ start: s, end: Math.min(last, s + fixedWindowS) });
    return spans;
  }
  const us = c.utterances
    .filter((u) => u.end > first && u.start < last)
    .map((u) => ({ start: Math.max(first, u.start), end: Math.min(last, u.end) }));
  const withFrames = us.filter((u) => c.locals.some((l) => l.t >= u.start - EPS && l.t <= u.end + EPS));
  return withFrames.length ? withFrames : [{ start: first, end: last }];
}

export class CoreModel {
  private constructor(
    readonly weights: ModelWeights,
    readonly encoder: GlobalLocalEncoder,
    readonly qformer: VideoQFormer,
    readonly head: EmotionHead,
  ) {}

  static async create(weights: ModelWeights): Promise<CoreModel> {
    const [e, q, h] = await Promise.all([
      GlobalLocalEncoder.create(weights),
      VideoQFormer.create(weights),
      EmotionHead.create(weights),
    ]);
    return new CoreModel(weights, e, q, h);
  }

  get options(): ModelOptions {
    return this.weights.options;
  }

  /** Utterance + context tokens of a span, and the head's reading of both (and of the context alone). */
  async scoreSpan(
    x: SpanInputs,
    span: { start: number; end: number },
    o: SpanOptions = defaultSpanOptions,
  ): Promise<{ out: HeadOutput; context: HeadOutput; uttTokens: number } | null> {
    const { utt, ctx } = spanMemories(x, span, o);
    if (utt.fused.length === 0 && utt.prosody.length === 0) return null;
    const [u, c] = await Promise.all([this.qformer.run(utt), this.qformer.run(ctx)]);
    const [out, context] = await Promise.all([this.head.run(u, c), this.head.run(c, c)]);
    return { out, context, uttTokens: utt.fused.length };
  }

  /** Class probabilities of a whole clip (duration-weighted over its spans), by ablation mode. */
  async scoreClip(
    c: ClipFeatures,
    mode: Ablation = 'full',
    o: SpanOptions = defaultSpanOptions,
  ): Promise<Float32Array | null> {
    if (c.locals.length === 0) return null;
    if (mode === 'frameMean') return frameMeanProbs(c.locals);
    const locals =
      mode === 'globalOnly' ? c.locals.map((l) => ({ t: l.t, token: new Float32Array(LOCAL_INPUT_DIM) })) : c.locals;
    const fusedRows = await this.encoder.encodeBatch(locals, c.globals, { noGlobal: mode === 'localOnly' });
    const fused = fusedRows.map((f, i) => ({ t: locals[i].t, fused: f }));
    const acc = new Float32Array(EMOTION_CLASSES.length);
    let wsum = 0;
    for (const span of clipSpans(c, mode)) {
      const upTo = fused.filter((f) => f.t <= span.end + EPS);
      const r = await this.scoreSpan({ fused, prosody: c.prosody, summary: summaryOf(upTo, this.options) }, span, o);
      if (!r) continue;
      const wgt = Math.max(1e-3, span.end - span.start);
      for (let k = 0; k < acc.length; k++) acc[k] += wgt * r.out.probs[k];
      wsum += wgt;
    }
    if (wsum === 0) return null;
    for (let k = 0; k < acc.length; k++) acc[k] /= wsum;
    return acc;
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder.release(), this.qformer.release(), this.head.release()]);
  }
}

/** Ablation (a): mean of the per-frame ensemble expression probabilities (contempt 0). */
export function frameMeanProbs(locals: readonly TimedToken[]): Float32Array {
  const out = new Float32Array(EMOTION_CLASSES.length);
  for (const l of locals) for (let k = 0; k < 7; k++) out[k] += l.token[LOCAL_INPUT.probs[0] + k] / locals.length;
  return out;
}
