/**
 * Per-stream prosody: 10 ms frames (prosodyFrames.ts), syllable nuclei (speakingRate.ts), pulses (voiceQuality.ts)
 * kept for the last `keepS` seconds, and per-speaker baselines (speakerNormalizer.ts). `utterance()` summarises a
 * span against the speaker's baseline *before* it, gives its cues, then folds the span into the baseline — so an
 * utterance is compared with how the speaker sounded until then, not with itself.
 *
 * Input rules: those of ProsodyFrames (16 kHz only, NaN → 0, clamping, gaps, time going back is an error).
 */
import { z } from 'zod';
import { type ProsodyCue, prosodyCues } from './prosodyCues.ts';
import { PROSODY_FRAME_S, type ProsodyFrame, ProsodyFrames, prosodyFrameOptionsSchema } from './prosodyFrames.ts';
import { SpeakerNormalizer } from './speakerNormalizer.ts';
import { NucleusDetector, speakingRateOptionsSchema } from './speakingRate.ts';
import { summariseUtterance, type UtteranceProsody } from './utteranceProsody.ts';
import type { Pulse } from './voiceQuality.ts';

export const prosodyOptionsSchema = prosodyFrameOptionsSchema.extend({
  rate: speakingRateOptionsSchema.prefault({}),
  /** history kept for utterance summaries, s (utterances are split at the segmenter's maximum, 20 s by default) */
  keepS: z.number().positive().default(60),
  /** a speaker's F0/level baseline is used after this much voiced audio */
  baselineMinVoicedS: z.number().min(0).default(1),
  /** the baseline forgets with this half-life, in seconds of voiced audio */
  baselineHalfLifeS: z.number().positive().default(300),
});
export type ProsodyOptions = z.infer<typeof prosodyOptionsSchema>;
export type ProsodyOptionsInput = z.input<typeof prosodyOptionsSchema>;

export interface UtteranceProsodyResult {
  summary: UtteranceProsody;
  cues: ProsodyCue[];
}

export class ProsodyAnalyzer {
  readonly options: ProsodyOptions;
  private readonly framer: ProsodyFrames;
  private readonly nucleusDetector: NucleusDetector;
  private readonly speakers = new Map<string, SpeakerNormalizer>();
  /** history, oldest first */
  readonly frames: ProsodyFrame[] = [];
  readonly nuclei: number[] = [];
  readonly pulses: Pulse[] = [];
  private readonly newFrames: ProsodyFrame[] = [];

  constructor(options: ProsodyOptionsInput = {}, sampleRate?: number) {
    this.options = prosodyOptionsSchema.parse(options);
    this.framer = new ProsodyFrames(this.options, sampleRate);
    this.nucleusDetector = new NucleusDetector(this.options.rate);
  }

  get stats() {
    return this.framer.stats;
  }

  get latencyS(): number {
    return this.framer.latencyS;
  }

  /** Audio from media time t (any length); returns the frames it completed, in order. */
  push(samples: Float32Array, t: number): ProsodyFrame[] {
    const fresh = this.newFrames;
    fresh.length = 0;
    const lastT = this.frames.at(-1)?.t;
    this.framer.push(samples, t, fresh, this.pulses);
    for (const f of fresh) {
      if (lastT !== undefined && f.t - lastT > 2 * PROSODY_FRAME_S && f === fresh[0]) this.nucleusDetector.reset();
      this.frames.push(f);
      const n = this.nucleusDetector.push(f);
      if (n !== null) this.nuclei.push(n);
    }
    this.prune();
    return fresh.slice();
  }

  /** Frames with centres in [start, end]. */
  framesIn(start: number, end: number): ProsodyFrame[] {
    return this.frames.filter((f) => f.t >= start && f.t <= end);
  }

  /** The speaker's normaliser (created on first use). Speakers are whatever keys the caller uses. */
  speaker(key = 'default'): SpeakerNormalizer {
    let s = this.speakers.get(key);
    if (!s) {
      s = new SpeakerNormalizer({
        minVoicedS: this.options.baselineMinVoicedS,
        halfLifeS: this.options.baselineHalfLifeS,
        utterances: 20,
        frameS: PROSODY_FRAME_S,
      });
      this.speakers.set(key, s);
    }
    return s;
  }

  /**
   * Summary and cues of [start, end] against the speaker's baseline so far; then (unless `update` is false) the
   * span's voiced frames and its rate/jitter/shimmer join that baseline. Needs the audio up to end + latencyS.
   */
  utterance(start: number, end: number, opts: { speaker?: string; update?: boolean } = {}): UtteranceProsodyResult {
    const sp = this.speaker(opts.speaker);
    const o = this.options;
    const summary = summariseUtterance({ start, end }, this.frames, this.nuclei, this.pulses, sp.baseline(), {
      frameS: PROSODY_FRAME_S,
      minF0: o.minF0,
      maxF0: o.maxF0,
    });
    const cues = prosodyCues(summary);
    if (opts.update !== false) {
      for (const f of this.frames) if (f.t >= start && f.t <= end && f.f0 > 0) sp.addVoiced(f.f0, f.db);
      sp.addUtterance({
        rate: summary.nuclei >= 2 ? summary.rate : null,
        jitter: summary.jitter,
        shimmer: summary.shimmer,
      });
    }
    return { summary, cues };
  }

  private prune(): void {
    const last = this.frames.at(-1)?.t;
    if (last === undefined) return;
    const keep = last - this.options.keepS;
    // in batches: shifting one element per frame would be quadratic
    if (this.frames[0].t < keep - 5) dropBefore(this.frames, (f) => f.t, keep);
    if (this.pulses.length && this.pulses[0].t < keep - 5) dropBefore(this.pulses, (p) => p.t, keep);
    if (this.nuclei.length && this.nuclei[0] < keep - 5) dropBefore(this.nuclei, (n) => n, keep);
  }
}

function dropBefore<T>(xs: T[], t: (x: T) => number, keep: number): void {
  let i = 0;
  while (i < xs.length && t(xs[i]) < keep) i++;
  xs.splice(0, i);
}
