/**
 * The pipeline's emotion branch over the frame ring buffer: partial emotions every `partialEveryS` while an
 * utterance is open, the final one when it ends, and windowed emotions every `windowS` for faces that are not
 * speaking. The class probabilities of a span come from `scoreSpan` (the model's utterance-aware Q-Former, or the
 * frame-mean baseline); context is the same over the recent `contextS`.
 */

import type { EmotionProbs, ExpressionProbs } from '../events/schema.ts';
import { meanExpression, topLabel } from '../model/expressionPooling.ts';
import { valenceArousal } from '../vision/valenceArousal.ts';
import type { AudioFinding, EmotionBranch, EmotionPayload, VisionResult } from './branches.ts';
import type { FrameRecord } from './streamPipeline.ts';
import type { TimeRingBuffer } from './timeRingBuffer.ts';

export interface EmotionBranchOptions {
  partialEveryS: number;
  /** windowed events for faces that are not the speaker, every this many seconds */
  windowS: number;
  contextS: number;
}

export const defaultEmotionBranchOptions: EmotionBranchOptions = { partialEveryS: 1, windowS: 4, contextS: 30 };

export type SpanScorer = (
  frames: readonly FrameRecord[],
  trackId: number | null,
  span: { start: number; end: number },
) => { probs: EmotionProbs; confidence: number } | null;

/** Frame-mean baseline scorer: mean ensemble probabilities of the track over the span. */
export const frameMeanScorer: SpanScorer = (frames, trackId) => {
  const per: ExpressionProbs[] = [];
  for (const r of frames) {
    const f = trackId === null ? r.result.faces[0] : r.result.faces.find((x) => x.trackId === trackId);
    if (f) per.push(f.expression);
  }
  const probs = meanExpression(per);
  if (!probs) return null;
  const sorted = Object.values(probs).sort((a, b) => b - a);
  // confidence: margin of the top class, damped when few frames back it
  const confidence = Math.min(1, Math.max(0, (sorted[0] - sorted[1]) * Math.min(1, per.length / 15)));
  return { probs, confidence: Math.round(confidence * 1000) / 1000 };
};

export class SpanEmotionBranch implements EmotionBranch {
  private open: { utteranceId: string; start: number; nextPartial: number } | null = null;
  private nextWindow: number | undefined;
  private readonly opts: EmotionBranchOptions;

  constructor(
    private readonly frames: TimeRingBuffer<FrameRecord>,
    private readonly score: SpanScorer = frameMeanScorer,
    options: Partial<EmotionBranchOptions> = {},
  ) {
    this.opts = { ...defaultEmotionBranchOptions, ...options };
  }

  onVision(result: VisionResult): void {
    this.nextWindow ??= result.t + this.opts.windowS;
  }

  onAudio(f: AudioFinding): void {
    if (f.kind === 'utterance.start') {
      this.open = { utteranceId: f.utteranceId, start: f.start, nextPartial: f.start + this.opts.partialEveryS };
    } else if (f.kind === 'utterance.end' && this.open?.utteranceId === f.utteranceId) {
      this.open = null;
    }
  }

  due(t: number): EmotionPayload[] {
    const out: EmotionPayload[] = [];
    if (this.open && t >= this.open.nextPartial) {
      const e = this.build(this.open.utteranceId, this.open.start, t, false, this.speaker(this.open.start, t), t);
      if (e) out.push(e);
      this.open.nextPartial = t + this.opts.partialEveryS;
    }
    if (this.nextWindow !== undefined && t >= this.nextWindow) {
      const start = Math.max(0, t - this.opts.windowS);
      const speaker = this.open ? this.speaker(this.open.start, t) : null;
      for (const trackId of this.tracksIn(start, t)) {
        if (trackId === speaker) continue;
        const e = this.build(null, start, t, true, trackId, t);
        if (e) out.push(e);
      }
      this.nextWindow = t + this.opts.windowS;
    }
    return out;
  }

  finalize(u: {
    utteranceId: string;
    start: number;
    end: number;
    trackId: number | null;
    t: number;
  }): EmotionPayload[] {
    const e = this.build(u.utteranceId, u.start, u.end, true, u.trackId, u.t);
    return e ? [e] : [];
  }

  close(): void {
    this.open = null;
  }

  private tracksIn(start: number, end: number): number[] {
    const ids = new Set<number>();
    for (const r of this.frames.range(start, end)) for (const f of r.result.faces) ids.add(f.trackId);
    return [...ids].sort((a, b) => a - b);
  }

  private speaker(start: number, end: number): number | null {
    const score = new Map<number, number>();
    for (const r of this.frames.range(start, end)) {
      for (const m of r.result.mouthActivity) score.set(m.trackId, (score.get(m.trackId) ?? 0) + m.value);
    }
    let best: number | null = null;
    for (const [id, s] of score) if (best === null || s > (score.get(best) ?? 0)) best = id;
    return best;
  }

  private build(
    utteranceId: string | null,
    start: number,
    end: number,
    final: boolean,
    trackId: number | null,
    now: number,
  ): EmotionPayload | null {
    const span = this.frames.range(start, end);
    const s = this.score(span, trackId, { start, end });
    if (!s) return null;
    const ctx = this.score(this.frames.range(Math.max(0, end - this.opts.contextS), end), trackId, {
      start: end - this.opts.contextS,
      end,
    });
    const label = topLabel(s.probs);
    const va = valenceArousal(s.probs);
    const cva = ctx ? valenceArousal(ctx.probs) : va;
    const pct = Math.round(s.probs[label] * 100);
    return {
      t: now,
      utteranceId,
      start,
      end,
      final,
      trackId,
      label,
      probs: s.probs,
      valence: va.valence,
      arousal: va.arousal,
      confidence: s.confidence,
      descriptors: [],
      cues: { visual: [`${label} expression on ${pct} % of the mean frame probability`], acoustic: [] },
      explanation: `Mostly ${label} (${pct} %) over ${(end - start).toFixed(1)} s from ${start.toFixed(1)} s.`,
      context: { label: ctx ? topLabel(ctx.probs) : label, probs: ctx?.probs ?? s.probs, ...cva },
    };
  }
}
