/**
 * YIN pitch estimation (de Cheveigné & Kawahara, 2002) of one analysis window: difference function, cumulative-mean
 * normalisation, absolute threshold, parabolic interpolation. The aperiodicity at the chosen lag gives a voicing
 * probability (1 − d′, as in pYIN's single-threshold case).
 *
 * Hand-written: the npm pitch packages (pitchfinder, pitchy …) analyse whole buffers with allocations per call and
 * give no aperiodicity; here one window costs W·τmax multiply-adds into preallocated scratch, which is what a 10 ms
 * streaming hop per stream can afford.
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
  /** samples one analysis needs: window + τmax */
  readonly span: number;
  private readonly d: Float64Array;
  private readonly cum: Float64Array;
  private readonly x: Float64Array;

  constructor(readonly o: PitchOptions) {
    this.tauMin = Math.max(2, Math.floor(o.sampleRate / o.maxF0));
    this.tauMax = Math.ceil(o.sampleRate / o.minF0);
    this.span = o.window + this.tauMax + 1;
    this.d = new Float64Array(this.tauMax + 2);
    this.cum = new Float64Array(this.span + 1);
    this.x = new Float64Array(this.span);
  }

  /** Pitch of x[offset, offset + span). */
  estimate(x: Float32Array, offset: number): PitchEstimate {
    const { window: W } = this.o;
    const tauMax = this.tauMax + 1;
    const cum = this.cum;
    cum[0] = 0;
    for (let i = 0; i < this.span; i++) cum[i + 1] = cum[i] + x[offset + i] * x[offset + i];
    const e0 = cum[W];
    if (e0 < 1e-10 * W) return { f0: 0, voicing: 0 };
    const d = this.d;
    const xs = this.x;
    for (let i = 0; i < this.span; i++) xs[i] = x[offset + i];
    // d(τ) = Σ (x_j − x_{j+τ})² = E(0) + E(τ) − 2 r(τ), energies from the prefix sums; d′ (cumulative-mean
    // normalised) follows in the same pass so the search can stop after the first dip below the threshold: YIN takes
    // the first such dip, so the lags beyond it (most of the work for voiced frames) are never needed.
    let running = 0;
    let best = -1;
    let globalBest = this.tauMin;
    d[0] = 1;
    for (let tau = 1; tau <= tauMax; tau++) {
      // four accumulators: V8 does not vectorise, this halves the loop's cost
      let r0 = 0;
      let r1 = 0;
      let r2 = 0;
      let r3 = 0;
      let j = 0;
      for (; j + 3 < W; j += 4) {
        r0 += xs[j] * xs[j + tau];
        r1 += xs[j + 1] * xs[j + tau + 1];
        r2 += xs[j + 2] * xs[j + tau + 2];
        r3 += xs[j + 3] * xs[j + tau + 3];
      }
      for (; j < W; j++) r0 += xs[j] * xs[j + tau];
      const r = r0 + r1 + r2 + r3;
      const raw = Math.max(0, e0 + cum[tau + W] - cum[tau] - 2 * r);
      running += raw;
      d[tau] = running > 0 ? (raw * tau) / running : 1;
      if (tau <= this.tauMin) continue;
      // d[tau - 1] is a candidate once d[tau] is known
      const k = tau - 1;
      if (d[k] < d[globalBest]) globalBest = k;
      if (best < 0 && d[k] < this.o.threshold && d[tau] >= d[k]) {
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
    return { f0: this.o.sampleRate / lag, voicing: clamp01(1 - dmin) };
  }
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
