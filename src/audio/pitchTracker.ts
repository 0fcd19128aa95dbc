/**
 * YIN pitch estimation (de Cheveigné & Kawahara, 2002) of one analysis window: difference function, cumulative-mean
 * normalisation, absolute threshold, parabolic interpolation. The aperiodicity at the chosen lag gives a voicing
 * probability (1 − d′, as in pYIN's single-threshold case).
 *
 * Hand-written: the npm pitch packages (pitchfinder, pitchy …) analyse whole buffers with allocations per call and
 * give no aperiodicity. Here the lag search runs at half rate (a [1 2 1]/4 low-pass then every other sample: a
 * quarter of the multiply-adds, F0 ≤ 500 Hz is far below the 4 kHz Nyquist), stops after YIN's first dip below the
 * threshold, and the lag is then refined at full rate around twice the half-rate lag, so precision is that of the
 * full-rate difference function.
 */

export interface PitchOptions {
  sampleRate: number;
  minF0: number;
  maxF0: number;
  /** integration window of the difference function, samples */
  window: number;
  /** YIN's absolute threshold on d′: the first dip below it is taken (avoids octave-too-low errors) */
  threshold: number;
}

export interface PitchEstimate {
  /** Hz; the best candidate even when unvoiced (voicing tells how much to trust it) */
  f0: number;
  /** 1 − d′ at the chosen lag, in [0, 1] */
  voicing: number;
}

export class PitchTracker {
  readonly tauMin: number;
  readonly tauMax: number;
  /** samples one analysis needs: window + τmax (+ the refinement margin) */
  readonly span: number;
  /** half-rate copies of window, lags */
  private readonly w2: number;
  private readonly tauMin2: number;
  private readonly tauMax2: number;
  private readonly d: Float64Array;
  private readonly cum: Float64Array;
  private readonly y: Float64Array;
  private readonly x: Float64Array;

  constructor(readonly o: PitchOptions) {
    this.tauMin = Math.max(2, Math.floor(o.sampleRate / o.maxF0));
    this.tauMax = Math.ceil(o.sampleRate / o.minF0);
    this.w2 = o.window >> 1;
    this.tauMin2 = Math.max(2, this.tauMin >> 1);
    this.tauMax2 = (this.tauMax >> 1) + 1;
    this.span = Math.max(o.window + this.tauMax + 4, 2 * (this.w2 + this.tauMax2 + 2) + 1);
    this.d = new Float64Array(this.tauMax2 + 2);
    this.cum = new Float64Array(this.w2 + this.tauMax2 + 3);
    this.y = new Float64Array(this.w2 + this.tauMax2 + 2);
    this.x = new Float64Array(this.span);
  }

  /** Pitch of x[offset, offset + span). */
  estimate(x: Float32Array, offset: number): PitchEstimate {
    const xs = this.x;
    let e = 0;
    for (let i = 0; i < this.span; i++) {
      const v = x[offset + i];
      xs[i] = v;
      e += v * v;
    }
    if (e < 1e-10 * this.span) return { f0: 0, voicing: 0 };
    const y = this.y;
    const ny = y.length;
    for (let k = 0; k < ny; k++) {
      const i = 2 * k;
      y[k] = 0.25 * ((i > 0 ? xs[i - 1] : xs[i]) + 2 * xs[i] + xs[i + 1]);
    }
    const lag2 = this.search(y);
    // refine at full rate: the minimum of d(τ) around 2·lag2, parabolic between its neighbours
    const centre = Math.round(2 * lag2.lag);
    let best = centre;
    let dBest = Number.POSITIVE_INFINITY;
    const lo = Math.max(this.tauMin - 1, centre - 2);
    const hi = Math.min(this.tauMax + 2, centre + 2);
    const dAt = (tau: number) => diff(xs, this.o.window, tau);
    for (let tau = lo; tau <= hi; tau++) {
      const v = dAt(tau);
      if (v < dBest) {
        dBest = v;
        best = tau;
      }
    }
    let lag = best;
    const a = dAt(best - 1);
    const c = dAt(best + 1);
    const den = a - 2 * dBest + c;
    if (den > 0) {
      const shift = (0.5 * (a - c)) / den;
      if (Math.abs(shift) <= 1) lag = best + shift;
    }
    return { f0: this.o.sampleRate / lag, voicing: clamp01(1 - lag2.dmin) };
  }

  /** YIN on the half-rate signal: lag (half-rate samples, interpolated) and d′ there. */
  private search(y: Float64Array): { lag: number; dmin: number } {
    const W = this.w2;
    const tauMax = this.tauMax2;
    const cum = this.cum;
    cum[0] = 0;
    for (let i = 0; i < W + tauMax + 1; i++) cum[i + 1] = cum[i] + y[i] * y[i];
    const e0 = cum[W];
    const d = this.d;
    // d(τ) = E(0) + E(τ) − 2 r(τ) from prefix sums; d′ in the same pass so the search stops after YIN's first dip
    // below the threshold (the lags beyond it, most of the work for voiced frames, are never needed)
    let running = 0;
    let best = -1;
    let globalBest = this.tauMin2;
    d[0] = 1;
    for (let tau = 1; tau <= tauMax; tau++) {
      const raw = Math.max(0, e0 + cum[tau + W] - cum[tau] - 2 * dot(y, W, tau));
      running += raw;
      d[tau] = running > 0 ? (raw * tau) / running : 1;
      if (tau <= this.tauMin2) continue;
      // d[tau - 1] is a candidate once d[tau] is known
      const k = tau - 1;
      if (d[k] < d[globalBest]) globalBest = k;
      if (d[k] < this.o.threshold && d[tau] >= d[k]) {
        best = k;
        break;
      }
    }
    if (best < 0) best = globalBest;
    let lag = best;
    let dmin = d[best];
    if (best > 1 && best + 1 <= tauMax) {
      const a = d[best - 1];
      const b = d[best];
      const c = d[best + 1];
      const den = a - 2 * b + c;
      if (den > 0) {
        const shift = (0.5 * (a - c)) / den;
        if (Math.abs(shift) <= 1) {
          lag = best + shift;
          dmin = b - 0.25 * (a - c) * shift;
        }
      }
    }
    return { lag, dmin };
  }
}

/** Σ_{j<W} x_j x_{j+τ}, four accumulators (V8 does not vectorise; this halves the loop's cost). */
function dot(x: Float64Array, W: number, tau: number): number {
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  let j = 0;
  for (; j + 3 < W; j += 4) {
    r0 += x[j] * x[j + tau];
    r1 += x[j + 1] * x[j + tau + 1];
    r2 += x[j + 2] * x[j + tau + 2];
    r3 += x[j + 3] * x[j + tau + 3];
  }
  for (; j < W; j++) r0 += x[j] * x[j + tau];
  return r0 + r1 + r2 + r3;
}

/** Σ_{j<W} (x_j − x_{j+τ})² */
function diff(x: Float64Array, W: number, tau: number): number {
  let s = 0;
  for (let j = 0; j < W; j++) {
    const v = x[j] - x[j + tau];
    s += v * v;
  }
  return s;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
