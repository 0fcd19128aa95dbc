/**
 * Running per-speaker prosody statistics that outliers cannot drag: medians and quartiles from fine histograms
 * (F0 on a semitone scale, level in dB) with exponential forgetting, so that "pitch 30 % above this speaker's
 * baseline" compares against how the speaker usually sounds, not against one shout or an octave error. Per-utterance
 * values (rate, jitter, shimmer) keep the median of the last utterances.
 *
 * Deterministic: forgetting is a growing weight per sample (renormalised when large), not a clock.
 */

/** A histogram over [lo, hi) with `step`-wide bins and exponential forgetting (half-life in samples). */
export class RunningHistogram {
  private readonly bins: Float64Array;
  private weight = 1;
  private total = 0;
  private readonly growth: number;
  count = 0;

  constructor(
    private readonly lo: number,
    private readonly hi: number,
    private readonly step: number,
    halfLife: number,
  ) {
    this.bins = new Float64Array(Math.ceil((hi - lo) / step));
    this.growth = 2 ** (1 / halfLife);
  }

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    const i = Math.min(this.bins.length - 1, Math.max(0, Math.floor((x - this.lo) / this.step)));
    this.bins[i] += this.weight;
    this.total += this.weight;
    this.count++;
    this.weight *= this.growth;
    if (this.weight > 1e100) {
      for (let k = 0; k < this.bins.length; k++) this.bins[k] /= this.weight;
      this.total /= this.weight;
      this.weight = 1;
    }
  }

  /** The q-quantile (interpolated inside its bin); null when empty. */
  quantile(q: number): number | null {
    if (this.total <= 0) return null;
    const target = q * this.total;
    let acc = 0;
    for (let i = 0; i < this.bins.length; i++) {
      const b = this.bins[i];
      if (acc + b >= target && b > 0) return this.lo + (i + (target - acc) / b) * this.step;
      acc += b;
    }
    return this.hi;
  }
}

export interface SpeakerBaseline {
  /** median voiced F0, Hz */
  f0: number | null;
  /** half the interquartile range of voiced F0, semitones (the speaker's usual pitch spread) */
  f0SpreadSt: number | null;
  /** median level of voiced frames, dBFS */
  db: number | null;
  /** median speaking rate of past utterances (from the second), nuclei/s; jitter, shimmer from the third */
  rate: number | null;
  jitter: number | null;
  shimmer: number | null;
  /** voiced audio behind the F0 and level baselines, s */
  voicedS: number;
  utterances: number;
}

const REF_HZ = 100;
const toSt = (hz: number) => 12 * Math.log2(hz / REF_HZ);
const fromSt = (st: number) => REF_HZ * 2 ** (st / 12);

export interface SpeakerNormalizerOptions {
  /** F0/level baselines are given only after this much voiced audio */
  minVoicedS: number;
  /** forgetting half-life, in seconds of voiced audio */
  halfLifeS: number;
  /** per-utterance medians over this many utterances */
  utterances: number;
  frameS: number;
}

export class SpeakerNormalizer {
  private readonly st: RunningHistogram;
  private readonly db: RunningHistogram;
  private readonly perUtterance = { rate: [] as number[], jitter: [] as number[], shimmer: [] as number[] };
  private utterances = 0;

  constructor(private readonly o: SpeakerNormalizerOptions) {
    const halfLife = o.halfLifeS / o.frameS;
    // 0.05-semitone bins (0.3 % in F0) from 30 Hz to 1.6 kHz; 0.1 dB bins
    this.st = new RunningHistogram(toSt(30), toSt(1600), 0.05, halfLife);
    this.db = new RunningHistogram(-120, 0.1, 0.1, halfLife);
  }

  /** One voiced frame. */
  addVoiced(f0: number, db: number): void {
    if (f0 > 0) this.st.add(toSt(f0));
    this.db.add(db);
  }

  /** One finished utterance's values (null where unknown). */
  addUtterance(u: { rate: number | null; jitter: number | null; shimmer: number | null }): void {
    this.utterances++;
    for (const k of ['rate', 'jitter', 'shimmer'] as const) {
      const v = u[k];
      if (v === null || !Number.isFinite(v)) continue;
      const list = this.perUtterance[k];
      list.push(v);
      if (list.length > this.o.utterances) list.shift();
    }
  }

  baseline(): SpeakerBaseline {
    const voicedS = this.st.count * this.o.frameS;
    const ready = voicedS >= this.o.minVoicedS;
    const med = ready ? this.st.quantile(0.5) : null;
    const q1 = ready ? this.st.quantile(0.25) : null;
    const q3 = ready ? this.st.quantile(0.75) : null;
    return {
      f0: med === null ? null : fromSt(med),
      f0SpreadSt: q1 === null || q3 === null ? null : (q3 - q1) / 2,
      db: ready ? this.db.quantile(0.5) : null,
      // utterance-level values scatter (jitter 1.5–2.7 % across espeak phrases of one voice): a few are needed first
      rate: this.perUtterance.rate.length >= 2 ? median(this.perUtterance.rate) : null,
      jitter: this.perUtterance.jitter.length >= 3 ? median(this.perUtterance.jitter) : null,
      shimmer: this.perUtterance.shimmer.length >= 3 ? median(this.perUtterance.shimmer) : null,
      voicedS,
      utterances: this.utterances,
    };
  }
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
