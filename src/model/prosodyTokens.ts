/**
 * Prosody tokens (PROSODY layout in tokens.ts) from 16 kHz mono PCM, one per 32 ms hop (512 samples, the VAD's
 * chunk), with the hop's speech probability when the VAD gives one.
 *
 * Hand-written because no maintained npm package gives frame-wise pitch and energy cheaply in-process: F0 is the
 * peak of the normalised autocorrelation of the hop (decimated ×2 to 8 kHz, lags for 75–400 Hz), voiced when that
 * peak is ≥ 0.5 and the hop is above −55 dBFS. Baselines (energy and F0 medians) are running medians estimated by a
 * fixed-step sign update, so a token depends only on the audio before it (streaming) and runs are deterministic.
 * The audio module may replace this with its own tokens: the contract is the PROSODY layout, not this code.
 */
import { PROSODY_INPUT, PROSODY_INPUT_DIM, type TimedToken } from './tokens.ts';

export const PROSODY_RATE = 16000;
export const PROSODY_HOP = 512;
const MIN_F0 = 75;
const MAX_F0 = 400;

export interface ProsodyFrame {
  t: number;
  /** energy, dBFS */
  db: number;
  /** F0 in Hz, 0 when unvoiced */
  f0: number;
  speech: number;
}

/** Pitch (Hz, 0 when unvoiced) and level (dBFS) of one hop. */
export function analyseHop(x: Float32Array): { f0: number; db: number } {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i] * x[i];
  const rms = Math.sqrt(e / Math.max(1, x.length));
  const db = 20 * Math.log10(rms + 1e-9);
  if (db < -55) return { f0: 0, db };
  const n = x.length >> 1;
  const y = new Float32Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    y[i] = 0.5 * (x[2 * i] + x[2 * i + 1]);
    mean += y[i];
  }
  mean /= n;
  for (let i = 0; i < n; i++) y[i] -= mean;
  const sr = PROSODY_RATE / 2;
  const lo = Math.floor(sr / MAX_F0);
  const hi = Math.min(n - 32, Math.ceil(sr / MIN_F0));
  let best = 0;
  let bestLag = 0;
  for (let lag = lo; lag <= hi; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i + lag < n; i++) {
      const a = y[i];
      const b = y[i + lag];
      xy += a * b;
      xx += a * a;
      yy += b * b;
    }
    const r = xy / Math.sqrt(xx * yy + 1e-12);
    if (r > best) {
      best = r;
      bestLag = lag;
    }
  }
  return { f0: best >= 0.5 && bestLag > 0 ? sr / bestLag : 0, db };
}

class RunningMedian {
  private m: number | undefined;
  constructor(private readonly step: number) {}
  update(x: number): number {
    if (this.m === undefined) this.m = x;
    else this.m += x > this.m ? this.step : x < this.m ? -this.step : 0;
    return this.m;
  }
  get value(): number | undefined {
    return this.m;
  }
}

/** Streaming PCM → prosody tokens. One instance per audio track. */
export class ProsodyTokenizer {
  private readonly buf = new Float32Array(PROSODY_HOP);
  private filled = 0;
  private bufT = 0;
  private readonly dbMedian = new RunningMedian(0.25);
  private readonly stMedian = new RunningMedian(0.1);
  private prev: { db: number; st: number; voiced: boolean } | null = null;
  private readonly onsets: number[] = [];
  /** raw per-hop analysis, for explanations (pitch relative to baseline) */
  readonly frames: ProsodyFrame[] = [];
  private readonly keepFramesS: number;

  constructor(opts: { keepFramesS?: number } = {}) {
    this.keepFramesS = opts.keepFramesS ?? 60;
  }

  /** Pushes PCM starting at media time t; returns the tokens of the hops it completed. */
  push(samples: Float32Array, t: number, speech = 0): TimedToken[] {
    const out: TimedToken[] = [];
    if (this.filled === 0) this.bufT = t;
    for (let i = 0; i < samples.length; i++) {
      this.buf[this.filled++] = samples[i];
      if (this.filled === PROSODY_HOP) {
        out.push(this.hop(this.bufT, speech));
        this.filled = 0;
        this.bufT = t + (i + 1) / PROSODY_RATE;
      }
    }
    return out;
  }

  /** The stream's current voiced-F0 baseline (Hz) and energy baseline (dBFS). */
  baseline(): { f0: number | null; db: number | null } {
    const st = this.stMedian.value;
    return { f0: st === undefined ? null : 150 * 2 ** (st / 12), db: this.dbMedian.value ?? null };
  }

  private hop(t0: number, speech: number): TimedToken {
    const { f0, db } = analyseHop(this.buf);
    const t = t0 + PROSODY_HOP / PROSODY_RATE;
    const voiced = f0 > 0;
    const st = voiced ? 12 * Math.log2(f0 / 150) : 0;
    const dbBase = this.dbMedian.update(db);
    const stBase = voiced ? this.stMedian.update(st) : (this.stMedian.value ?? st);
    const tok = new Float32Array(PROSODY_INPUT_DIM);
    const P = PROSODY_INPUT;
    const hopS = PROSODY_HOP / PROSODY_RATE;
    tok[P.speech] = speech;
    tok[P.energy] = clamp((db - dbBase) / 20, -3, 3);
    tok[P.voiced] = voiced ? 1 : 0;
    if (voiced) {
      tok[P.f0] = clamp((st - stBase) / 12, -2, 2);
      tok[P.logF0] = Math.log2(f0 / 150);
    }
    if (this.prev) {
      tok[P.energySlope] = clamp((db - this.prev.db) / 20 / hopS / 10, -3, 3);
      if (voiced && this.prev.voiced) tok[P.f0Slope] = clamp((st - this.prev.st) / 12 / hopS / 10, -3, 3);
      if (voiced && !this.prev.voiced) this.onsets.push(t);
    }
    while (this.onsets.length && this.onsets[0] < t - 1) this.onsets.shift();
    tok[P.rate] = this.onsets.length / 8;
    this.prev = { db, st, voiced };
    this.frames.push({ t, db, f0, speech });
    while (this.frames.length && this.frames[0].t < t - this.keepFramesS) this.frames.shift();
    return { t, token: tok };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
