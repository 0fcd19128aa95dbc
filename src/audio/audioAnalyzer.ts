/**
 * Per-stream audio analysis: re-chunks PCM of any chunk size into 32 ms VAD chunks, runs the streaming Silero VAD
 * and the utterance segmenter, and reports speech probabilities and utterance boundaries on the media clock. Prosody
 * (prosodyAnalyzer.ts) runs on the same samples: its 10 ms frames go to `onProsodyFrames` and stay in
 * `analyzer.prosody`, and every `utterance.end` carries the utterance's prosody summary and cues (compared with the
 * stream's baseline before it).
 *
 * Input rules (documented behaviour rather than crashes): samples must be finite — NaN/±Infinity samples are
 * replaced by 0 and counted; values beyond [-1, 1] (clipped or hot audio) are clamped and counted; an empty
 * chunk is ignored; a chunk whose time goes backwards is rejected with AudioInputError. Sample rate must be 16 kHz
 * (decoders resample); anything else is rejected at construction.
 */
import type { EventPayload } from '../events/schema.ts';
import type { AudioChunk } from '../ingest/mediaSource.ts';
import { ProsodyAnalyzer, type ProsodyOptionsInput, type UtteranceProsodyResult } from './prosodyAnalyzer.ts';
import type { ProsodyFrame } from './prosodyFrames.ts';
import { AudioInputError, SileroVad, VAD_CHUNK, VAD_SAMPLE_RATE } from './sileroVad.ts';
import { type SegmenterEvent, type SegmenterOptionsInput, UtteranceSegmenter } from './utteranceSegmenter.ts';

export type AudioFinding =
  | { kind: 'utterance.start'; t: number; utteranceId: string; start: number; continuation: boolean }
  | {
      kind: 'utterance.end';
      t: number;
      utteranceId: string;
      start: number;
      end: number;
      continuation: boolean;
      /** absent when prosody is switched off */
      prosody?: UtterancePayloadProsody;
    }
  /** speech probability of one VAD chunk ending at t */
  | { kind: 'speaking'; t: number; probability: number };

export type UtterancePayloadProsody = NonNullable<EventPayload<'utterance.end'>['prosody']>;

export interface AudioAnalyzerOptions {
  sampleRate?: number;
  segmenter?: SegmenterOptionsInput;
  vad?: SileroVad;
  /** prosody options, or false to skip prosody */
  prosody?: ProsodyOptionsInput | false;
  /** receives each push's new prosody frames (in order) */
  onProsodyFrames?: (frames: ProsodyFrame[]) => void;
}

export interface AudioStats {
  chunks: number;
  nonFiniteSamples: number;
  clippedSamples: number;
}

/** 5 ms blocks: the resolution of the loudness that sharpens utterance ends (see UtteranceSegmenter.noteLoud) */
const LOUD_BLOCK = 80;
/** a block is loud above this absolute floor and within LOUD_RANGE_DB of the recent peak level */
const LOUD_FLOOR_DB = -60;
const LOUD_RANGE_DB = 40;
/** the peak level decays 10 dB per second, so one shout does not make later speech "quiet" */
const PEAK_DECAY_DB = (10 * LOUD_BLOCK) / VAD_SAMPLE_RATE;

export class AudioAnalyzer {
  private readonly buf = new Float32Array(VAD_CHUNK);
  private blockEnergy = 0;
  private blockFilled = 0;
  private peakDb = LOUD_FLOOR_DB;
  private filled = 0;
  /** media time of buf[0] */
  private bufT = 0;
  private nextT: number | undefined;
  readonly stats: AudioStats = { chunks: 0, nonFiniteSamples: 0, clippedSamples: 0 };

  private clean = new Float32Array(0);

  private constructor(
    private readonly vad: SileroVad,
    readonly segmenter: UtteranceSegmenter,
    /** per-stream prosody (frames, nuclei, pulses, baselines); null when switched off */
    readonly prosody: ProsodyAnalyzer | null,
    private readonly onProsodyFrames?: (frames: ProsodyFrame[]) => void,
  ) {}

  static async create(opts: AudioAnalyzerOptions = {}): Promise<AudioAnalyzer> {
    const rate = opts.sampleRate ?? VAD_SAMPLE_RATE;
    if (rate !== VAD_SAMPLE_RATE) {
      throw new AudioInputError(`audio must be 16000 Hz mono for the VAD, got ${rate} Hz (resample it first)`);
    }
    const prosody = opts.prosody === false ? null : new ProsodyAnalyzer(opts.prosody ?? {}, rate);
    return new AudioAnalyzer(
      opts.vad ?? (await SileroVad.load()),
      new UtteranceSegmenter(opts.segmenter),
      prosody,
      opts.onProsodyFrames,
    );
  }

  /** Processes one chunk (any length); resolves with what it found, in media-time order. */
  async push(chunk: AudioChunk): Promise<AudioFinding[]> {
    const out: AudioFinding[] = [];
    const n = chunk.samples.length;
    if (n === 0) return out;
    if (!Number.isFinite(chunk.t)) throw new AudioInputError(`audio chunk time is not a number: ${chunk.t}`);
    if (this.nextT !== undefined && chunk.t < this.nextT - 1e-3) {
      throw new AudioInputError(`audio chunk at t=${chunk.t} s goes back before ${this.nextT.toFixed(3)} s`);
    }
    if (this.filled === 0 || (this.nextT !== undefined && chunk.t > this.nextT + 0.05)) {
      // a gap in the audio (lost packets): start a fresh chunk at the new time rather than splicing across it
      this.filled = 0;
      this.bufT = chunk.t;
      this.blockFilled = 0;
      this.blockEnergy = 0;
    }
    if (this.clean.length < n) this.clean = new Float32Array(Math.max(n, 2 * this.clean.length));
    const x = this.clean.subarray(0, n);
    for (let i = 0; i < n; i++) {
      let v = chunk.samples[i];
      if (!Number.isFinite(v)) {
        v = 0;
        this.stats.nonFiniteSamples++;
      } else if (v > 1 || v < -1) {
        v = v > 1 ? 1 : -1;
        this.stats.clippedSamples++;
      }
      x[i] = v;
    }
    // prosody first: an utterance.end decided inside this chunk needs the frames up to its end (long before)
    if (this.prosody) {
      const frames = this.prosody.push(x, chunk.t);
      if (frames.length) this.onProsodyFrames?.(frames);
    }
    for (let i = 0; i < n; i++) {
      const v = x[i];
      this.buf[this.filled++] = v;
      this.blockEnergy += v * v;
      if (++this.blockFilled === LOUD_BLOCK) this.endBlock(chunk.t + (i + 1) / VAD_SAMPLE_RATE, out);
      if (this.filled === VAD_CHUNK) {
        await this.runChunk(out);
        this.filled = 0;
        this.bufT = chunk.t + (i + 1) / VAD_SAMPLE_RATE;
      }
    }
    this.nextT = chunk.t + n / VAD_SAMPLE_RATE;
    return out;
  }

  private endBlock(end: number, out: AudioFinding[]): void {
    const db = 10 * Math.log10(this.blockEnergy / LOUD_BLOCK + 1e-12);
    this.blockEnergy = 0;
    this.blockFilled = 0;
    this.peakDb = Math.max(db, this.peakDb - PEAK_DECAY_DB);
    if (db >= LOUD_FLOOR_DB && db >= this.peakDb - LOUD_RANGE_DB) this.segmenter.noteLoud(end);
    for (const e of this.segmenter.advance(end)) out.push(this.withProsody(e));
  }

  private async runChunk(out: AudioFinding[]): Promise<void> {
    const p = await this.vad.probability(this.buf);
    this.stats.chunks++;
    const dur = VAD_CHUNK / VAD_SAMPLE_RATE;
    const t = this.bufT;
    out.push({ kind: 'speaking', t: t + dur, probability: p });
    for (const e of this.segmenter.push(t, dur, p)) out.push(this.withProsody(e));
  }

  /** An utterance.end gets the utterance's prosody (which then joins the stream's baseline). */
  private withProsody(e: SegmenterEvent): AudioFinding {
    if (e.kind !== 'utterance.end' || !this.prosody) return e;
    return { ...e, prosody: prosodyPayload(this.prosody.utterance(e.start, e.end)) };
  }

  /** End of stream: closes an open utterance at the last audio time. */
  flush(): AudioFinding[] {
    return this.segmenter.flush(this.nextT ?? 0).map((e) => this.withProsody(e));
  }

  async close(): Promise<void> {
    await this.vad.close();
  }
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r3n = (x: number | null) => (x === null ? null : r3(x));

/** The event form of an utterance's prosody (rounded: events are for people and dashboards). */
export function prosodyPayload(r: UtteranceProsodyResult): UtterancePayloadProsody {
  const s = r.summary;
  return {
    f0Mean: r3n(s.f0Mean),
    f0Median: r3n(s.f0Median),
    f0Min: r3n(s.f0Min),
    f0Max: r3n(s.f0Max),
    f0RangeSt: r3n(s.f0RangeSt),
    energyDb: r3n(s.energyDb),
    rate: r3(s.rate),
    nuclei: s.nuclei,
    jitter: s.jitter === null ? null : Math.round(s.jitter * 1e5) / 1e5,
    shimmer: s.shimmer === null ? null : Math.round(s.shimmer * 1e5) / 1e5,
    voicedRatio: r3(s.voicedRatio),
    relative: {
      f0Pct: r3n(s.relative.f0Pct),
      energyDb: r3n(s.relative.energyDb),
      ratePct: r3n(s.relative.ratePct),
      jitterRatio: r3n(s.relative.jitterRatio),
      shimmerRatio: r3n(s.relative.shimmerRatio),
    },
    cues: r.cues.map((c) => c.text),
  };
}
