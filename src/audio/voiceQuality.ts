/**
 * Voice quality from glottal-pulse-like peaks: a pulse tracker that follows the waveform's extreme once per pitch
 * period inside voiced runs, and local jitter and shimmer over consecutive pulses (Praat's "local" definitions:
 * mean absolute difference of consecutive periods / amplitudes over their mean).
 *
 * These are estimates from waveform peaks, not from a glottal inverse filter: on real speech the peak may jump
 * between formant ripples, so compare values against the same speaker's baseline rather than clinical norms.
 */

export interface Pulse {
  /** media time of the peak, s (sub-sample, parabolic) */
  t: number;
  /** absolute peak amplitude */
  amp: number;
  /** the peak touched full scale: its amplitude says nothing about shimmer */
  clipped: boolean;
  /** pulses of one voiced run share a run number; periods are only taken within a run */
  run: number;
}

/** Samples addressed by absolute index: x(i) = buf[i − base]. */
export interface SampleView {
  buf: Float32Array;
  base: number;
}

const CLIP_LEVEL = 0.999;

export class PulseTracker {
  private last: number | null = null;
  private polarity = 1;
  private run = 0;

  /** How far past a region's end `track` reads, for a period of at most maxPeriod samples. */
  static lookahead(maxPeriod: number): number {
    return Math.ceil(1.2 * maxPeriod) + 2;
  }

  /** Continuity is lost (a gap in the audio): the next voiced frame starts a new run. */
  reset(): void {
    this.last = null;
  }

  /**
   * Finds the pulses whose search starts in [from, to) (absolute sample indices) for a frame of the given period in
   * samples (0 when the frame is unvoiced, which ends the run).
   */
  track(x: SampleView, from: number, to: number, period: number, toTime: (i: number) => number, out: Pulse[]): void {
    if (period <= 0) {
      this.last = null;
      return;
    }
    if (this.last === null || this.last < from - 1.5 * period) {
      // run start: the larger of the positive and negative extremes over one period sets the polarity
      let best = from;
      for (let i = from + 1; i < from + Math.round(period); i++) {
        if (Math.abs(at(x, i)) > Math.abs(at(x, best))) best = i;
      }
      this.polarity = at(x, best) >= 0 ? 1 : -1;
      this.run++;
      this.emit(x, best, toTime, out);
    }
    for (;;) {
      const last = this.last as number;
      const lo = Math.ceil(last + 0.8 * period);
      if (lo >= to) break;
      const hi = Math.floor(last + 1.2 * period);
      let best = lo;
      for (let i = lo + 1; i <= hi; i++) if (this.polarity * at(x, i) > this.polarity * at(x, best)) best = i;
      this.emit(x, best, toTime, out);
    }
  }

  private emit(x: SampleView, i: number, toTime: (i: number) => number, out: Pulse[]): void {
    const a = this.polarity * at(x, i - 1);
    const b = this.polarity * at(x, i);
    const c = this.polarity * at(x, i + 1);
    const den = a - 2 * b + c;
    let pos = i;
    let amp = b;
    if (den < 0) {
      const shift = (0.5 * (a - c)) / den;
      if (Math.abs(shift) <= 1) {
        pos = i + shift;
        amp = b - 0.25 * (a - c) * shift;
      }
    }
    this.last = pos;
    out.push({ t: toTime(pos), amp: Math.abs(amp), clipped: Math.abs(b) >= CLIP_LEVEL, run: this.run });
  }
}

function at(x: SampleView, i: number): number {
  return x.buf[i - x.base] ?? 0;
}

export interface VoiceQuality {
  /** local jitter, fraction (0.01 = 1 %); null with fewer than `minPairs` usable period pairs */
  jitter: number | null;
  /** local shimmer, fraction; null with fewer than `minPairs` usable amplitude pairs */
  shimmer: number | null;
  periods: number;
}

/**
 * Jitter and shimmer over pulses (in time order). Periods outside [minPeriodS, maxPeriodS] and consecutive periods
 * differing by more than a factor 1.3 (Praat's defaults), amplitude pairs differing by more than 1.6, and clipped
 * peaks are left out: they are tracking errors or voice breaks, not perturbation.
 */
export function voiceQuality(
  pulses: readonly Pulse[],
  o: { minPeriodS: number; maxPeriodS: number; minPairs?: number },
): VoiceQuality {
  const minPairs = o.minPairs ?? 5;
  let dT = 0;
  let nT = 0;
  let sumT = 0;
  let periods = 0;
  let dA = 0;
  let nA = 0;
  let sumA = 0;
  for (let i = 1; i < pulses.length; i++) {
    const p = pulses[i];
    const q = pulses[i - 1];
    if (p.run !== q.run) continue;
    const T = p.t - q.t;
    const okT = T >= o.minPeriodS && T <= o.maxPeriodS;
    if (okT) {
      sumT += T;
      periods++;
      const r = i >= 2 ? pulses[i - 2] : undefined;
      if (r && r.run === p.run) {
        const T0 = q.t - r.t;
        if (T0 >= o.minPeriodS && T0 <= o.maxPeriodS && Math.max(T, T0) / Math.min(T, T0) <= 1.3) {
          dT += Math.abs(T - T0);
          nT++;
        }
      }
    }
    if (
      okT &&
      !p.clipped &&
      !q.clipped &&
      p.amp > 0 &&
      q.amp > 0 &&
      Math.max(p.amp, q.amp) / Math.min(p.amp, q.amp) <= 1.6
    ) {
      dA += Math.abs(p.amp - q.amp);
      sumA += p.amp + q.amp;
      nA++;
    }
  }
  return {
    jitter: nT >= minPairs && periods > 0 ? dT / nT / (sumT / periods) : null,
    shimmer: nA >= minPairs && sumA > 0 ? dA / nA / (sumA / (2 * nA)) : null,
    periods,
  };
}
