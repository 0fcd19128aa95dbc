/**
 * The runtime emotion stage of one stream: takes the vision results (local + global tokens per frame), the audio
 * findings (utterance boundaries, speech probability) and optionally the PCM (prosody tokens), keeps the
 * incremental encoder's state, and answers with `emotion` payloads:
 *   - partial ones every `partialEveryS` while an utterance is open (final: false),
 *   - the final one when the pipeline reports the utterance's end (`finalize`; a few ms of model time, well inside
 *     the 300 ms budget: the trailing frames whose window is not complete yet are encoded provisionally),
 *   - windowed ones every `windowS` for faces that are not the current speaker (utteranceId null, final: true).
 * All methods must be called in media-time order; the async ones are serialised internally, so `onVision` may be
 * called without awaiting. Payloads are EventPayload<'emotion'> (the bus adds the envelope).
 */
import { z } from 'zod';
import type { ProsodyFrame } from '../audio/prosodyFrames.ts';
import type { EventPayload } from '../events/schema.ts';
import { CoreModel, defaultSpanOptions, type SpanOptions } from './coreModel.ts';
import { defaultWeights } from './defaultWeights.ts';
import { argmaxClass, type HeadOutput, probsRecord } from './emotionHead.ts';
import { acousticCues, explain, LlmExplainer, llmOptionsSchema, visualCues } from './explanation.ts';
import { EncoderStream, type FusedToken } from './globalLocalEncoder.ts';
import { describe } from './lexicon.ts';
import { ProsodyTokenizer } from './prosodyTokens.ts';
import { globalInput, LOCAL_INPUT, type LocalInput, localInput, mainGaze, type TimedToken } from './tokens.ts';
import { RunningSummary } from './videoQFormer.ts';
import { loadWeights, type ModelWeights } from './weights.ts';

export type EmotionPayload = EventPayload<'emotion'>;

export const utteranceEmotionOptionsSchema = z.object({
  partialEveryS: z.number().positive().default(1),
  /** windowed events for faces that are not speaking, every this many seconds (and over this window) */
  windowS: z.number().positive().default(4),
  /** at the end of a stream, the last incomplete window gets windowed emotions when it lasts at least this long */
  minTailS: z.number().min(0).default(1),
  contextS: z.number().positive().default(30),
  contextHz: z.number().positive().default(10),
  /** seconds of fused tokens kept per track (≥ contextS; utterances longer than this are read from their end) */
  keepS: z.number().positive().default(60),
  descriptors: z.number().int().min(0).max(10).default(3),
  llm: llmOptionsSchema.default({ enabled: false, model: 'gpt-4o-mini', timeoutMs: 2000, waitMs: 100 }),
});
export type UtteranceEmotionOptions = z.infer<typeof utteranceEmotionOptionsSchema>;
export type UtteranceEmotionOptionsInput = z.input<typeof utteranceEmotionOptionsSchema>;

/** What the stage reads from a vision result (structurally the pipeline's VisionResult). */
export interface VisionInput {
  t: number;
  faces: readonly { trackId: number; box: { w: number; h: number }; gaze?: { x: number; y: number } }[];
  localTokens: readonly { trackId: number; token: Float32Array }[];
  globalToken: Float32Array | null;
  imageEmbedding?: Float32Array | null;
  mouthActivity?: readonly { trackId: number; value: number }[];
}

/** What the stage reads from the audio branch (structurally the pipeline's AudioFinding). */
export type AudioInput =
  | { kind: 'utterance.start'; t: number; utteranceId: string; start: number }
  | { kind: 'utterance.end'; t: number; utteranceId: string; start: number; end: number }
  | { kind: 'speaking'; t: number; probability: number };

interface TrackState {
  fused: FusedToken[];
  summary: RunningSummary;
  aus: { t: number; au: Float32Array }[];
  mouth: { t: number; v: number }[];
}

/**
 * Loads `--weights <file>` or builds the training-free defaults, then the model's sessions. `imageEmbeddingDim` is
 * the configured image encoder's width (0 = none): trained weights must have been trained with the same width.
 */
export async function loadCoreModel(weightsPath?: string, imageEmbeddingDim = 0): Promise<CoreModel> {
  const w: ModelWeights = weightsPath ? loadWeights(weightsPath) : defaultWeights({ imageEmbeddingDim });
  if (w.options.imageEmbeddingDim !== imageEmbeddingDim) {
    throw new Error(
      `${weightsPath}: trained with imageEmbeddingDim ${w.options.imageEmbeddingDim}, but the configured image encoder gives ${imageEmbeddingDim} (${imageEmbeddingDim ? 'retrain with it' : 'configure the image encoder it was trained with'})`,
    );
  }
  return CoreModel.create(w);
}

export class UtteranceEmotionStage {
  readonly options: UtteranceEmotionOptions;
  private readonly enc: EncoderStream;
  private readonly tracks = new Map<number, TrackState>();
  private readonly prosody: TimedToken[] = [];
  private readonly tokenizer = new ProsodyTokenizer();
  private readonly llm: LlmExplainer;
  private speech = 0;
  private open: { utteranceId: string; start: number; nextPartial: number } | null = null;
  private nextWindow: number | undefined;
  private lastT = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly span: SpanOptions;

  constructor(
    readonly model: CoreModel,
    options: UtteranceEmotionOptionsInput = {},
  ) {
    this.options = utteranceEmotionOptionsSchema.parse(options);
    this.enc = new EncoderStream(model.encoder);
    this.llm = new LlmExplainer(this.options.llm);
    this.span = { ...defaultSpanOptions, contextS: this.options.contextS, contextHz: this.options.contextHz };
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.chain.then(f);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** One analysed frame. */
  onVision(r: VisionInput): Promise<void> {
    return this.serial(async () => {
      this.lastT = Math.max(this.lastT, r.t);
      this.nextWindow ??= r.t + this.options.windowS;
      if (r.globalToken) {
        const g = globalInput(r.t, r.globalToken, this.model.options, mainGaze(r.faces), r.imageEmbedding ?? undefined);
        await this.enc.addGlobal(g.t, g.token);
      }
      for (const l of r.localTokens) {
        const li: LocalInput = localInput(l.trackId, r.t, l.token);
        this.enc.addLocal(li.trackId, li.t, li.token);
        const tr = this.track(l.trackId);
        tr.aus.push({ t: r.t, au: l.token.slice(LOCAL_INPUT.au[0], LOCAL_INPUT.au[1]) });
      }
      for (const m of r.mouthActivity ?? []) this.track(m.trackId).mouth.push({ t: r.t, v: m.value });
      for (const f of await this.enc.advance(r.t)) this.store(f);
      this.prune(r.t);
    });
  }

  /** PCM of the stream (16 kHz mono) starting at media time t, for prosody tokens. */
  onPcm(samples: Float32Array, t: number): void {
    this.addProsody(this.tokenizer.push(samples, t, this.speech), t);
  }

  /** The stream's 10 ms prosody frames, when its audio analyzer already computes them (instead of onPcm). */
  onProsodyFrames(frames: readonly ProsodyFrame[]): void {
    if (frames.length) this.addProsody(this.tokenizer.pushFrames(frames, this.speech), frames[0].t);
  }

  private addProsody(tokens: TimedToken[], t: number): void {
    for (const tok of tokens) this.prosody.push(tok);
    const keep = t - this.options.keepS;
    while (this.prosody.length && this.prosody[0].t < keep) this.prosody.shift();
  }

  onAudio(f: AudioInput): void {
    if (f.kind === 'speaking') this.speech = f.probability;
    else if (f.kind === 'utterance.start') {
      this.open = { utteranceId: f.utteranceId, start: f.start, nextPartial: f.start + this.options.partialEveryS };
    } else if (f.kind === 'utterance.end' && this.open?.utteranceId === f.utteranceId) this.open = null;
  }

  /**
   * Earliest media time at which `due` can answer anything, as of the calls made so far (−∞ before the first frame:
   * the first window starts there). A caller may skip `due(t)` for t below it: such a call changes nothing.
   */
  get nextDue(): number {
    if (this.nextWindow === undefined) return Number.NEGATIVE_INFINITY;
    return Math.min(this.nextWindow, this.open ? this.open.nextPartial : Number.POSITIVE_INFINITY);
  }

  /** Partial and windowed emotions due at media time t. */
  due(t: number): Promise<EmotionPayload[]> {
    return this.serial(async () => {
      const out: EmotionPayload[] = [];
      if (this.open && t >= this.open.nextPartial) {
        const { utteranceId, start } = this.open;
        this.open.nextPartial = t + this.options.partialEveryS;
        const e = await this.build(utteranceId, start, t, false, this.speaker(start, t), t);
        if (e) out.push(e);
      }
      if (this.nextWindow !== undefined && t >= this.nextWindow) {
        this.nextWindow = t + this.options.windowS;
        const start = Math.max(0, t - this.options.windowS);
        const speaker = this.open ? this.speaker(this.open.start, t) : null;
        for (const id of this.tracksIn(start, t)) {
          if (id === speaker) continue;
          const e = await this.build(null, start, t, true, id, t);
          if (e) out.push(e);
        }
      }
      return out;
    });
  }

  /** The final emotion of an utterance (call when the video up to its end has been given to onVision). */
  finalize(u: {
    utteranceId: string;
    start: number;
    end: number;
    trackId: number | null;
    t: number;
  }): Promise<EmotionPayload[]> {
    return this.serial(async () => {
      if (this.open?.utteranceId === u.utteranceId) this.open = null;
      const e = await this.build(u.utteranceId, u.start, u.end, true, u.trackId ?? this.speaker(u.start, u.end), u.t);
      return e ? [e] : [];
    });
  }

  /**
   * End of stream at media time t: encodes what is pending and answers with windowed emotions over the last,
   * incomplete window (when it lasts at least `minTailS`), so a silent stream shorter than one window still gets
   * an emotion per face.
   */
  end(t: number): Promise<EmotionPayload[]> {
    return this.serial(async () => {
      for (const f of await this.enc.flush()) this.store(f);
      const out: EmotionPayload[] = [];
      if (this.nextWindow === undefined) return out;
      const start = Math.max(0, this.nextWindow - this.options.windowS);
      this.nextWindow = undefined;
      if (t - start < this.options.minTailS) return out;
      for (const id of this.tracksIn(start, t)) {
        const e = await this.build(null, start, t, true, id, t);
        if (e) out.push(e);
      }
      return out;
    });
  }

  /** End of stream without answers: encodes what is pending. */
  async close(): Promise<void> {
    await this.serial(async () => {
      for (const f of await this.enc.flush()) this.store(f);
    });
  }

  private track(id: number): TrackState {
    let s = this.tracks.get(id);
    if (!s) {
      s = { fused: [], summary: new RunningSummary(this.model.options), aus: [], mouth: [] };
      this.tracks.set(id, s);
    }
    return s;
  }

  private store(f: FusedToken): void {
    const tr = this.track(f.trackId);
    tr.fused.push(f);
    tr.summary.add(f.fused, f.t);
  }

  private prune(now: number): void {
    const keep = now - this.options.keepS;
    for (const [id, tr] of this.tracks) {
      while (tr.fused.length && tr.fused[0].t < keep) tr.fused.shift();
      while (tr.aus.length && tr.aus[0].t < keep) tr.aus.shift();
      while (tr.mouth.length && tr.mouth[0].t < keep) tr.mouth.shift();
      if (tr.aus.length === 0 && tr.fused.length === 0) this.tracks.delete(id);
    }
  }

  private tracksIn(start: number, end: number): number[] {
    const ids: number[] = [];
    for (const [id, tr] of this.tracks) if (tr.aus.some((a) => a.t >= start && a.t <= end)) ids.push(id);
    return ids.sort((a, b) => a - b);
  }

  /** The track whose mouth moved most in the span (else the one seen most), or null without faces. */
  private speaker(start: number, end: number): number | null {
    let best: number | null = null;
    let bestScore = -1;
    for (const [id, tr] of this.tracks) {
      const m = tr.mouth.filter((x) => x.t >= start && x.t <= end).reduce((a, x) => a + x.v, 0);
      const n = tr.aus.filter((x) => x.t >= start && x.t <= end).length;
      const score = n === 0 ? -1 : m * 1000 + n * 1e-3;
      if (score > bestScore) {
        bestScore = score;
        best = id;
      }
    }
    return bestScore < 0 ? null : best;
  }

  private async build(
    utteranceId: string | null,
    start: number,
    end: number,
    final: boolean,
    trackId: number | null,
    now: number,
  ): Promise<EmotionPayload | null> {
    const tr = trackId === null ? undefined : this.tracks.get(trackId);
    // tokens still waiting for the future half of their window are encoded now with what has arrived
    const provisional = (await this.enc.provisional(end)).filter((f) => f.trackId === trackId);
    const fused = [...(tr?.fused ?? []), ...provisional];
    const summary = tr?.summary.token() ?? null;
    const r = await this.model.scoreSpan({ fused, prosody: this.prosody, summary }, { start, end }, this.span);
    if (!r) return null;
    return this.payload(r.out, r.context, { utteranceId, start, end, final, trackId, now }, tr);
  }

  private async payload(
    out: HeadOutput,
    ctx: HeadOutput,
    s: { utteranceId: string | null; start: number; end: number; final: boolean; trackId: number | null; now: number },
    tr: TrackState | undefined,
  ): Promise<EmotionPayload> {
    const probs = probsRecord(out.probs);
    const label = argmaxClass(out.probs);
    const va = { valence: clampRound(out.valence), arousal: clampRound(out.arousal) };
    const vis = visualCues((tr?.aus ?? []).filter((a) => a.t >= s.start - 1e-6 && a.t <= s.end + 1e-6));
    const ac = acousticCues(
      this.tokenizer.frames.filter((f) => f.t >= s.start && f.t <= s.end),
      this.tokenizer.baseline(),
    );
    const cues = { visual: vis.map((c) => c.text), acoustic: ac.map((c) => c.text) };
    const templated = explain(label, probs[label], s, vis, ac);
    const explanation = await this.llm.explain(templated, cues, label);
    return {
      t: s.now,
      utteranceId: s.utteranceId,
      start: s.start,
      end: Math.max(s.start, s.end),
      final: s.final,
      trackId: s.trackId,
      label,
      probs,
      valence: va.valence,
      arousal: va.arousal,
      confidence: clampUnit(out.confidence),
      descriptors: describe(probs, va, { top: this.options.descriptors }),
      cues,
      explanation,
      context: {
        label: argmaxClass(ctx.probs),
        probs: probsRecord(ctx.probs),
        valence: clampRound(ctx.valence),
        arousal: clampRound(ctx.arousal),
      },
    };
  }
}

function clampRound(x: number): number {
  return Math.max(-1, Math.min(1, Math.round(x * 1000) / 1000));
}
function clampUnit(x: number): number {
  return Math.max(0, Math.min(1, Math.round(x * 1000) / 1000));
}
