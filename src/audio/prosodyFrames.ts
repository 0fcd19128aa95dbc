/**
 * Streaming prosody frames: every 10 ms of 16 kHz mono PCM, F0 (YIN) with a voicing probability, RMS level in
 * dBFS, and the glottal-pulse-like peaks of voiced frames (for jitter and shimmer). Input arrives in chunks of any
 * size with their media time; frames come out in order, each stamped with the centre of its analysis windows, about
 * 25 ms after that centre has been heard (the windows and the pulse search need samples ahead).
 *
 * Level convention: 20·log10(RMS) over a 25 ms window, as sox and ffmpeg's astats report it (a full-scale sine is
 * −3.01 dBFS); digital silence is −120 dBFS.
 *
 * Input rules, the same as the VAD's (AudioAnalyzer): the rate is 16 kHz only (AudioInputError at construction);
 * NaN/±Infinity samples become 0 and values beyond ±1 are clamped, both counted in `stats`; frames whose window
 * touches full scale are marked `clipped` (their level is a lower bound and their pulses are left out of shimmer);
 * an empty chunk does nothing; a chunk that goes back in time is an AudioInputError; a gap of up to 50 ms is filled
 * with silence (the frame clock stays exact), a longer one restarts the frame grid at the new time (frames that
 * needed audio from the gap are dropped and the voiced run ends).
 */
import { z } from 'zod';
import { PitchTracker } from './pitchTracker.ts';
import { AudioInputError, VAD_SAMPLE_RATE } from './sileroVad.ts';
import { type Pulse, PulseTracker, type SampleView } from './voiceQuality.ts';

export const PROSODY_SAMPLE_RATE = VAD_SAMPLE_RATE;
/** frame hop: 10 ms */
export const PROSODY_FRAME_HOP = 160;
export const PROSODY_FRAME_S = PROSODY_FRAME_HOP / PROSODY_SAMPLE_RATE;

export const prosodyFrameOptionsSchema = z.object({
  minF0: z.number().positive().default(60),
  maxF0: z.number().positive().default(500),
  /** YIN integration window; 24 ms covers ~1.5 periods at the lowest F0 */
  yinWindowS: z.number().positive().default(0.024),
  yinThreshold: z.number().min(0).max(1).default(0.15),
  /** a frame is voiced when its voicing probability (1 − YIN aperiodicity) reaches this */
  voicedThreshold: z.number().min(0).max(1).default(0.55),
  /** frames below this level are silence: unvoiced, voicing 0 */
  silenceDb: z.number().default(-60),
  energyWindowS: z.number().positive().default(0.025),
});
export type ProsodyFrameOptions = z.infer<typeof prosodyFrameOptionsSchema>;

export interface ProsodyFrame {
  /** media time of the frame's centre, s */
  t: number;
  /** Hz, 0 when unvoiced */
  f0: number;
  /** 0..1: 1 − YIN aperiodicity (0 in silence) */
  voicing: number;
  /** RMS level, dBFS (20·log10 RMS) */
  db: number;
  /** the window touched full scale */
  clipped: boolean;
}

export interface ProsodyInputStats {
  nonFiniteSamples: number;
  clippedSamples: number;
}

const CAPACITY = 8192;
const MAX_SPLICE_S = 0.05;

export class ProsodyFrames {
  readonly options: ProsodyFrameOptions;
  readonly stats: ProsodyInputStats = { nonFiniteSamples: 0, clippedSamples: 0 };
  private readonly pitch: PitchTracker;
  private readonly pulses = new PulseTracker();
  private readonly energyHalf: number;
  private readonly before: number;
  private readonly after: number;
  private readonly view: SampleView = { buf: new Float32Array(CAPACITY), base: 0 };
  /** absolute index of the next sample to arrive */
  private end = 0;
  private nextFrame = 0;
  /** media time of absolute sample 0; undefined before the first chunk */
  private t0: number | undefined;

  constructor(options: z.input<typeof prosodyFrameOptionsSchema> = {}, sampleRate = PROSODY_SAMPLE_RATE) {
    if (sampleRate !== PROSODY_SAMPLE_RATE) {
      throw new AudioInputError(`prosody needs 16000 Hz mono audio, got ${sampleRate} Hz (resample it first)`);
    }
    this.options = prosodyFrameOptionsSchema.parse(options);
    const o = this.options;
    if (o.minF0 >= o.maxF0) throw new RangeError('prosody: minF0 must be below maxF0');
    this.pitch = new PitchTracker({
      sampleRate,
      minF0: o.minF0,
      maxF0: o.maxF0,
      window: Math.round(o.yinWindowS * sampleRate),
      threshold: o.yinThreshold,
    });
    this.energyHalf = Math.round((o.energyWindowS * sampleRate) / 2);
    const yinHalf = Math.floor(this.pitch.span / 2);
    this.before = Math.max(yinHalf, this.energyHalf, PROSODY_FRAME_HOP / 2) + 2;
    this.after =
      Math.max(
        this.pitch.span - yinHalf,
        this.energyHalf,
        PROSODY_FRAME_HOP / 2 + PulseTracker.lookahead(this.pitch.tauMax),
      ) + 2;
    if (this.before + this.after + PROSODY_FRAME_HOP > CAPACITY / 2) throw new RangeError('prosody: windows too long');
  }

  /** Frames are ready this long after their centre time. */
  get latencyS(): number {
    return this.after / PROSODY_SAMPLE_RATE;
  }

  /** Appends the chunk starting at media time t; appends the frames (and pulses) it completed. */
  push(samples: Float32Array, t: number, frames: ProsodyFrame[], pulses: Pulse[]): void {
    if (samples.length === 0) return;
    if (!Number.isFinite(t)) throw new AudioInputError(`audio chunk time is not a number: ${t}`);
    if (this.t0 === undefined) this.start(t);
    else {
      const expected = this.t0 + this.end / PROSODY_SAMPLE_RATE;
      if (t < expected - 1e-3) {
        throw new AudioInputError(`audio chunk at t=${t} s goes back before ${expected.toFixed(3)} s`);
      }
      const missing = Math.round((t - expected) * PROSODY_SAMPLE_RATE);
      if (t - expected > MAX_SPLICE_S) this.start(t);
      else for (let i = 0; i < missing; i++) this.append(0, frames, pulses);
    }
    for (let i = 0; i < samples.length; i++) {
      let v = samples[i];
      if (!Number.isFinite(v)) {
        v = 0;
        this.stats.nonFiniteSamples++;
      } else if (v > 1 || v < -1) {
        v = v > 1 ? 1 : -1;
        this.stats.clippedSamples++;
      }
      this.append(v, frames, pulses);
    }
    this.analyse(frames, pulses);
  }

  private start(t: number): void {
    this.t0 = t;
    this.pulses.reset();
    // the first frame is centred on the first sample: the audio before it counts as silence
    this.view.buf.fill(0, 0, this.before);
    this.view.base = -this.before;
    this.end = 0;
    this.nextFrame = 0;
  }

  private append(v: number, frames: ProsodyFrame[], pulses: Pulse[]): void {
    if (this.end - this.view.base === CAPACITY) {
      this.analyse(frames, pulses);
      this.compact();
    }
    this.view.buf[this.end - this.view.base] = v;
    this.end++;
  }

  private analyse(frames: ProsodyFrame[], pulses: Pulse[]): void {
    while (this.nextFrame * PROSODY_FRAME_HOP + this.after <= this.end) {
      frames.push(this.frame(this.nextFrame * PROSODY_FRAME_HOP, pulses));
      this.nextFrame++;
    }
  }

  private compact(): void {
    const keep = this.nextFrame * PROSODY_FRAME_HOP - this.before;
    const drop = keep - this.view.base;
    if (drop <= 0) return;
    this.view.buf.copyWithin(0, drop, this.end - this.view.base);
    this.view.base = keep;
  }

  private frame(c: number, pulses: Pulse[]): ProsodyFrame {
    const o = this.options;
    const { buf, base } = this.view;
    let e = 0;
    let clipped = false;
    for (let i = c - this.energyHalf - base; i < c + this.energyHalf - base; i++) {
      const v = buf[i];
      e += v * v;
      if (v >= 0.999 || v <= -0.999) clipped = true;
    }
    const db = Math.max(-120, 10 * Math.log10(e / (2 * this.energyHalf) + 1e-12));
    const t0 = this.t0 as number;
    const t = t0 + c / PROSODY_SAMPLE_RATE;
    let f0 = 0;
    let voicing = 0;
    if (db >= o.silenceDb) {
      const p = this.pitch.estimate(buf, c - Math.floor(this.pitch.span / 2) - base);
      voicing = p.voicing;
      if (p.voicing >= o.voicedThreshold && p.f0 >= o.minF0 && p.f0 <= o.maxF0) f0 = p.f0;
    }
    const half = PROSODY_FRAME_HOP / 2;
    this.pulses.track(
      this.view,
      c - half,
      c + half,
      f0 > 0 ? PROSODY_SAMPLE_RATE / f0 : 0,
      (i) => t0 + i / PROSODY_SAMPLE_RATE,
      pulses,
    );
    return { t, f0, voicing, db, clipped };
  }
}
