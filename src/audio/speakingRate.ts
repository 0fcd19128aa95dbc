/**
 * Speaking-rate proxy: syllable nuclei as peaks of the smoothed level contour that stand out by `dipDb` from the
 * dips on both sides, are voiced, and are loud enough (above `floorDb` and within `rangeDb` of the recent loudest
 * nucleus) — the method of de Jong & Wempe (2009, Praat script "syllable nuclei"), run frame by frame: a peak is
 * confirmed once the level has fallen `dipDb` below it, i.e. a few frames later.
 */
import { z } from 'zod';
import type { ProsodyFrame } from './prosodyFrames.ts';

export const speakingRateOptionsSchema = z.object({
  dipDb: z.number().positive().default(2),
  floorDb: z.number().default(-50),
  rangeDb: z.number().positive().default(25),
  /** moving-average length over 10 ms frames (de Jong & Wempe smooth over ~50 ms) */
  smoothFrames: z.number().int().min(1).default(5),
  /** nuclei closer than this are one syllable (no one says more than ~12 syllables per second) */
  minGapS: z.number().min(0).default(0.08),
});
export type SpeakingRateOptions = z.infer<typeof speakingRateOptionsSchema>;

/** Loudest-nucleus reference decays by this much per second, so a shout does not mute later speech. */
const REF_DECAY_DB_PER_S = 3;

export class NucleusDetector {
  readonly options: SpeakingRateOptions;
  private readonly recent: ProsodyFrame[] = [];
  private rising = true;
  /** the candidate peak (smoothed level, its frame) and the dip before it */
  private peak: { db: number; frame: ProsodyFrame } | null = null;
  private dip = Number.POSITIVE_INFINITY;
  private ref = Number.NEGATIVE_INFINITY;
  private refT = 0;
  private lastNucleus = Number.NEGATIVE_INFINITY;

  constructor(options: z.input<typeof speakingRateOptionsSchema> = {}) {
    this.options = speakingRateOptionsSchema.parse(options);
  }

  /** Feeds one frame (in order); returns the time of a nucleus confirmed by it, if any. */
  push(frame: ProsodyFrame): number | null {
    const o = this.options;
    this.recent.push(frame);
    if (this.recent.length > o.smoothFrames) this.recent.shift();
    if (this.recent.length < o.smoothFrames) return null;
    let sum = 0;
    for (const f of this.recent) sum += f.db;
    const level = sum / o.smoothFrames;
    const centre = this.recent[o.smoothFrames >> 1];
    let found: number | null = null;
    if (this.rising) {
      if (this.peak === null || level > this.peak.db) this.peak = { db: level, frame: centre };
      else if (level < this.peak.db - o.dipDb) {
        found = this.confirm(this.peak);
        this.rising = false;
        this.dip = level;
      }
    } else if (level < this.dip) this.dip = level;
    else if (level > this.dip + o.dipDb) {
      this.rising = true;
      this.peak = { db: level, frame: centre };
    }
    return found;
  }

  /** Restart (a gap in the audio). */
  reset(): void {
    this.recent.length = 0;
    this.rising = true;
    this.peak = null;
    this.dip = Number.POSITIVE_INFINITY;
  }

  private confirm(p: { db: number; frame: ProsodyFrame }): number | null {
    const o = this.options;
    const ref = this.ref - REF_DECAY_DB_PER_S * Math.max(0, p.frame.t - this.refT);
    if (p.frame.f0 <= 0 || p.db < o.floorDb || p.db < ref - o.rangeDb) return null;
    if (p.db > ref) {
      this.ref = p.db;
      this.refT = p.frame.t;
    }
    if (p.frame.t - this.lastNucleus < o.minGapS) return null;
    this.lastNucleus = p.frame.t;
    return p.frame.t;
  }
}

/** Nuclei per second over [start, end]. */
export function speakingRate(nuclei: readonly number[], start: number, end: number): number {
  const dur = end - start;
  if (dur <= 0) return 0;
  let n = 0;
  for (const t of nuclei) if (t >= start && t <= end) n++;
  return n / dur;
}
