/**
 * A per-track neutral reference for geometric measures that expressions do not pull along.
 * Why not the first frames: posed clips start expressive. Why not a mean: it follows every expression.
 * Here: a per-measure median over a long window of *gated* samples — taken at most every `sampleEveryS`, only on
 * low-motion frames (expressions are onsets, i.e. motion), only on frames the expression nets call neutral with
 * probability ≥ `minNeutralProb` (when the caller passes that probability) and, for mouth measures, not while
 * speaking. An expression held for less than half the window cannot move the median; the window slides, so the
 * reference adapts slowly (new speaker pose, lighting).
 * Population prior (optional, neutralPrior.ts): before the track has confidently-neutral samples of its own, the
 * reference is the population's neutral face; as n own samples accumulate it blends out,
 *   value = (w·prior + n·median) / (w + n),  w = `priorWeight` samples,
 * so a face that is expressive from its first frame (a posed clip, a user who joins smiling) is measured against a
 * neutral face instead of against itself, and a face that shows itself neutral for a second or two soon owns its
 * reference. `priorShare` = w / (w + n) is how much of the reference is still the population's: actionUnits.ts
 * widens its dead zone by that share of the between-person spread, so identity (someone's naturally high brows) does
 * not read as an expression. Without a prior the first sample is taken ungated and the median of what there is
 * stands in until `minSamples` exist (the behaviour of a track with no population reference).
 * Slow drift of the prior: a face the nets seldom call neutral (many talking faces: 0.1–0.25 mean neutral probability
 * on talking/2–5.mp4) would keep the population's face as its reference for good, and its identity beyond the dead
 * zone as AUs. So the prior itself follows the track: a running median (a sign-step tracker, one step per low-motion
 * sample, not gated by the nets) moves it towards the face's typical value by at most 2σ_pop per `driftS`, and never
 * further than `driftMaxSigma`·σ_pop from the population's value. A face's typical value over minutes is its neutral
 * (expressions come and go); an expression held for a whole `driftS` moves it by one dead zone at most, and a
 * posed clip of seconds not at all (4 s of 120 s: ≤ 0.07σ).
 * The same samples give each measure's robust spread (1.4826·MAD ≈ σ): how much that face moves while "neutral"
 * (landmark jitter, talking), which actionUnits.ts uses as a per-track dead zone. It moves slowly, so once settled it
 * is recomputed every `SPREAD_EVERY` samples (a second at the default rate): the extra sorts doubled the p95 cost of
 * the AU step.
 */
import { z } from 'zod';

export const neutralBaselineOptionsSchema = z.object({
  /** window length of gated samples kept per track, seconds */
  windowS: z.number().positive().default(60),
  /** at most one sample per this interval (keeps the window long and cheap) */
  sampleEveryS: z.number().positive().default(0.2),
  /** frames whose mean landmark speed (inter-ocular units / s) exceeds this are not sampled */
  maxMotion: z.number().positive().default(0.6),
  /** samples before the baseline counts as settled */
  minSamples: z.number().int().positive().default(10),
  /**
   * frames whose expression-net neutral probability is below this are not sampled (only when the caller gives one).
   * 0.5: the ensemble's own decision threshold; the nets rarely call a face neutral while it shows an expression
   * (DESIGN.md: they confuse expressions with each other, not with neutral), so this keeps posed faces out.
   */
  minNeutralProb: z.number().min(0).max(1).default(0.5),
  /**
   * weight of the population prior, in own samples: 3 (0.6 s of neutral frames at the default sampling) — after 2 s
   * of neutral frames the prior is 23 % of the reference, after 10 s 6 %
   */
  priorWeight: z.number().min(0).default(3),
  /** seconds for the prior to drift by 2 between-person σ towards the face's running median (0 = no drift) */
  driftS: z.number().min(0).default(120),
  /** the drifted prior stays within this many between-person σ of the population's value */
  driftMaxSigma: z.number().min(0).default(2),
});
export type NeutralBaselineOptions = z.infer<typeof neutralBaselineOptionsSchema>;

const SPREAD_EVERY = 5;

/** The population's neutral value and between-person spread (robust σ) of each measure. */
export interface NeutralPrior {
  mean: ArrayLike<number>;
  spread: ArrayLike<number>;
}

export class NeutralBaseline {
  private readonly opts: NeutralBaselineOptions;
  private readonly cap: number;
  private readonly ring: Float32Array;
  private count = 0;
  private head = 0;
  private lastT = Number.NEGATIVE_INFINITY;
  private offered = 0;
  private readonly med: Float32Array;
  private readonly sigma: Float32Array;
  private readonly scratch: Float32Array;
  /** the reference: the window median, blended with the prior while the track has few samples */
  private readonly ref: Float32Array;
  /** the prior after its slow drift towards this face */
  private readonly drifted: Float32Array;
  private lastDriftT = Number.NEGATIVE_INFINITY;

  constructor(
    readonly dims: number,
    opts: z.input<typeof neutralBaselineOptionsSchema> = {},
    readonly prior: NeutralPrior | null = null,
  ) {
    this.opts = neutralBaselineOptionsSchema.parse(opts);
    this.cap = Math.max(1, Math.round(this.opts.windowS / this.opts.sampleEveryS));
    this.ring = new Float32Array(this.cap * dims);
    this.med = new Float32Array(dims);
    this.sigma = new Float32Array(dims);
    this.scratch = new Float32Array(this.cap);
    this.ref = new Float32Array(dims);
    this.drifted = new Float32Array(dims);
    if (prior) {
      if (prior.mean.length !== dims || prior.spread.length !== dims) throw new Error('neutral prior: wrong length');
      this.ref.set(prior.mean);
      this.drifted.set(prior.mean);
    }
  }

  get samples(): number {
    return this.count;
  }

  get settled(): boolean {
    return this.count >= this.opts.minSamples;
  }

  /**
   * Offers one frame's measures. `frozen[i]` true keeps measure i out of this sample (its previous-sample value is
   * repeated, so a speaker's mouth never defines the neutral mouth). `neutralProb`: the expression nets' neutral
   * probability for the frame, if known. Returns true when sampled.
   */
  offer(t: number, m: ArrayLike<number>, motion: number, frozen?: ArrayLike<boolean>, neutralProb?: number): boolean {
    const ungatedFirst = this.count === 0 && !this.prior;
    if (
      this.prior &&
      this.opts.driftS > 0 &&
      t - this.lastDriftT >= this.opts.sampleEveryS &&
      motion <= this.opts.maxMotion
    )
      this.drift(t, m, frozen);
    if (!ungatedFirst) {
      if (t - this.lastT < this.opts.sampleEveryS || motion > this.opts.maxMotion) return false;
      if (neutralProb !== undefined && neutralProb < this.opts.minNeutralProb) return false;
    }
    const d = this.dims;
    const prev = this.count > 0 ? ((this.head - 1 + this.cap) % this.cap) * d : -1;
    const o = this.head * d;
    for (let i = 0; i < d; i++) {
      // a frozen measure with no earlier sample takes the current reference (the prior's), not the speaking mouth
      this.ring[o + i] = frozen?.[i] ? (prev >= 0 ? this.ring[prev + i] : this.prior ? this.ref[i] : m[i]) : m[i];
    }
    this.head = (this.head + 1) % this.cap;
    this.count = Math.min(this.count + 1, this.cap);
    this.lastT = t;
    this.offered++;
    this.recompute(this.count < this.opts.minSamples || this.offered % SPREAD_EVERY === 0);
    return true;
  }

  private drift(t: number, m: ArrayLike<number>, frozen?: ArrayLike<boolean>): void {
    const prior = this.prior as NeutralPrior;
    const o = this.opts;
    const dt = Number.isFinite(this.lastDriftT) ? Math.min(t - this.lastDriftT, 1) : o.sampleEveryS;
    this.lastDriftT = t;
    for (let i = 0; i < this.dims; i++) {
      if (frozen?.[i]) continue;
      const sd = prior.spread[i];
      const step = (2 * sd * dt) / o.driftS;
      const diff = m[i] - this.drifted[i];
      const v = this.drifted[i] + Math.max(-step, Math.min(step, diff));
      const lim = o.driftMaxSigma * sd;
      this.drifted[i] = Math.max(prior.mean[i] - lim, Math.min(prior.mean[i] + lim, v));
    }
    this.blend();
  }

  private blend(): void {
    const w = this.opts.priorWeight;
    const n = this.count;
    for (let i = 0; i < this.dims; i++)
      this.ref[i] = n > 0 ? (w * this.drifted[i] + n * this.med[i]) / (w + n) : this.drifted[i];
  }

  /** The per-measure reference: the median of the window, blended with the prior (see the top comment). */
  get values(): Float32Array {
    return this.prior ? this.ref : this.med;
  }

  /** How much of the reference is still the population prior, w / (w + n); 0 without a prior. */
  get priorShare(): number {
    return this.prior ? this.opts.priorWeight / (this.opts.priorWeight + this.count) || 0 : 0;
  }

  /** Per-measure robust spread of the window (1.4826·MAD, the σ of a normal distribution); 0 until 2 samples. */
  get spread(): Float32Array {
    return this.sigma;
  }

  private recompute(withSpread: boolean): void {
    const n = this.count;
    const d = this.dims;
    const s = this.scratch.subarray(0, n);
    const mid = (v: Float32Array) => (n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
    for (let i = 0; i < d; i++) {
      for (let k = 0; k < n; k++) s[k] = this.ring[k * d + i];
      s.sort();
      const m = mid(s);
      this.med[i] = m;
      if (!withSpread) continue;
      for (let k = 0; k < n; k++) s[k] = Math.abs(this.ring[k * d + i] - m);
      s.sort();
      this.sigma[i] = n >= 2 ? 1.4826 * mid(s) : 0;
    }
    if (this.prior) this.blend();
  }
}
