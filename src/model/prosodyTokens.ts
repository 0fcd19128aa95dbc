/**
 * Prosody tokens (PROSODY layout in tokens.ts) from 16 kHz mono PCM, one per 32 ms hop (512 samples, the VAD's
 * chunk), with the hop's speech probability when the VAD gives one.
 *
 * The analysis is the audio module's (src/audio/prosodyFrames.ts: YIN F0 with voicing and RMS level every 10 ms;
 * src/audio/speakingRate.ts: syllable nuclei); a hop aggregates the frames centred inside it: level = power mean,
 * voiced when at least half its frames are, F0 = median of its voiced frames. Baselines are running medians from
 * forgetting histograms (src/audio/speakerNormalizer.ts), so a token depends only on the audio before it and runs
 * are deterministic. A hop's token comes out once the frames up to its end are analysed (~25 ms after the hop).
 *
 * Input: a chunk that goes back in time restarts the analysis at its time (no error: the stage feeding this has no
 * one to report to); NaN samples count as silence and values beyond ±1 are clamped (ProsodyFrames' rules).
 */
import { type ProsodyFrame as AudioFrame, PROSODY_SAMPLE_RATE, ProsodyFrames } from '../audio/prosodyFrames.ts';
import { RunningHistogram } from '../audio/speakerNormalizer.ts';
import { NucleusDetector } from '../audio/speakingRate.ts';
import type { Pulse } from '../audio/voiceQuality.ts';
import { PROSODY_INPUT, PROSODY_INPUT_DIM, type TimedToken } from './tokens.ts';

export const PROSODY_RATE = PROSODY_SAMPLE_RATE;
export const PROSODY_HOP = 512;
const HOP_S = PROSODY_HOP / PROSODY_RATE;
/** baselines forget with a half-life of 5 minutes of hops */
const HALF_LIFE_HOPS = 300 / HOP_S;

export interface ProsodyFrame {
  t: number;
  /** energy, dBFS */
  db: number;
  /** F0 in Hz, 0 when unvoiced */
  f0: number;
  speech: number;
}

/** Streaming PCM → prosody tokens. One instance per audio track. */
export class ProsodyTokenizer {
  private framer = new ProsodyFrames();
  private nuclei = new NucleusDetector();
  private readonly pending: AudioFrame[] = [];
  private readonly pulses: Pulse[] = [];
  /** the hop being filled: [hopStart, hopStart + HOP_S) */
  private hopStart: number | undefined;
  private nextT: number | undefined;
  private lastFrameT: number | undefined;
  /** all hops' level (the token's energy reference) and voiced hops' level and F0 (the cue baseline) */
  private readonly dbAll = new RunningHistogram(-120, 0.1, 0.1, HALF_LIFE_HOPS);
  private readonly dbVoiced = new RunningHistogram(-120, 0.1, 0.1, HALF_LIFE_HOPS);
  /** F0 in semitones re 150 Hz */
  private readonly st = new RunningHistogram(-36, 36, 0.05, HALF_LIFE_HOPS);
  private prev: { db: number; st: number; voiced: boolean } | null = null;
  private readonly nucleusTimes: number[] = [];
  /** raw per-hop analysis, for explanations (pitch relative to baseline) */
  readonly frames: ProsodyFrame[] = [];
  private readonly keepFramesS: number;

  constructor(opts: { keepFramesS?: number } = {}) {
    this.keepFramesS = opts.keepFramesS ?? 60;
  }

  /** Pushes PCM starting at media time t; returns the tokens of the hops it completed. */
  push(samples: Float32Array, t: number, speech = 0): TimedToken[] {
    if (samples.length === 0 || !Number.isFinite(t)) return [];
    if (this.nextT !== undefined && t < this.nextT - 1e-3) {
      this.framer = new ProsodyFrames();
      this.restart();
    }
    this.nextT = t + samples.length / PROSODY_RATE;
    const fresh: AudioFrame[] = [];
    this.framer.push(samples, t, fresh, this.pulses);
    this.pulses.length = 0;
    return this.pushFrames(fresh, speech);
  }

  /**
   * Pushes 10 ms frames analysed elsewhere (the stream's audio analyzer, which computes the same frames for the
   * utterance prosody: one YIN pass per stream instead of two); returns the tokens of the hops they completed.
   */
  pushFrames(frames: readonly AudioFrame[], speech = 0): TimedToken[] {
    const out: TimedToken[] = [];
    // time went back: a new analysis from here
    if (frames.length && this.lastFrameT !== undefined && frames[0].t < this.lastFrameT) this.restart();
    for (const f of frames) {
      this.lastFrameT = f.t;
      // a restarted frame grid (a gap in the audio) starts a new hop grid
      if (this.hopStart === undefined || f.t >= this.hopStart + 2 * HOP_S) {
        this.pending.length = 0;
        this.hopStart = f.t;
      }
      while (f.t >= this.hopStart + HOP_S) {
        out.push(this.hop(this.hopStart, speech));
        this.hopStart += HOP_S;
      }
      this.pending.push(f);
      const n = this.nuclei.push(f);
      if (n !== null) this.nucleusTimes.push(n);
    }
    return out;
  }

  private restart(): void {
    this.nuclei = new NucleusDetector();
    this.pending.length = 0;
    this.hopStart = undefined;
    this.lastFrameT = undefined;
  }

  /** The stream's current voiced-F0 baseline (Hz) and the level of its voiced hops (dBFS), null until known. */
  baseline(): { f0: number | null; db: number | null } {
    const st = this.st.quantile(0.5);
    return { f0: st === null ? null : 150 * 2 ** (st / 12), db: this.dbVoiced.quantile(0.5) };
  }

  private hop(start: number, speech: number): TimedToken {
    const end = start + HOP_S;
    const inHop = this.pending.filter((f) => f.t < end);
    this.pending.splice(0, inHop.length);
    let power = 0;
    for (const f of inHop) power += 10 ** (f.db / 10);
    const db = inHop.length ? Math.max(-120, 10 * Math.log10(power / inHop.length)) : -120;
    const voicedF0 = inHop
      .filter((f) => f.f0 > 0)
      .map((f) => f.f0)
      .sort((a, b) => a - b);
    const voiced = voicedF0.length > 0 && voicedF0.length * 2 >= inHop.length;
    const f0 = voiced ? voicedF0[voicedF0.length >> 1] : 0;
    const t = end;
    const st = voiced ? 12 * Math.log2(f0 / 150) : 0;
    this.dbAll.add(db);
    if (voiced) {
      this.dbVoiced.add(db);
      this.st.add(st);
    }
    const dbBase = this.dbAll.quantile(0.5) ?? db;
    const stBase = this.st.quantile(0.5) ?? st;
    const tok = new Float32Array(PROSODY_INPUT_DIM);
    const P = PROSODY_INPUT;
    tok[P.speech] = speech;
    tok[P.energy] = clamp((db - dbBase) / 20, -3, 3);
    tok[P.voiced] = voiced ? 1 : 0;
    if (voiced) {
      tok[P.f0] = clamp((st - stBase) / 12, -2, 2);
      tok[P.logF0] = Math.log2(f0 / 150);
    }
    if (this.prev) {
      tok[P.energySlope] = clamp((db - this.prev.db) / 20 / HOP_S / 10, -3, 3);
      if (voiced && this.prev.voiced) tok[P.f0Slope] = clamp((st - this.prev.st) / 12 / HOP_S / 10, -3, 3);
    }
    // syllable nuclei confirmed so far within the last second (a nucleus is confirmed a few frames after its peak)
    while (this.nucleusTimes.length && this.nucleusTimes[0] < t - 1) this.nucleusTimes.shift();
    tok[P.rate] = this.nucleusTimes.filter((n) => n <= t).length / 8;
    this.prev = { db, st, voiced };
    this.frames.push({ t, db, f0, speech });
    if (this.frames[0].t < t - this.keepFramesS - 5) {
      const i = this.frames.findIndex((f) => f.t >= t - this.keepFramesS);
      this.frames.splice(0, i < 0 ? this.frames.length : i);
    }
    return { t, token: tok };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
