/**
 * Per-stream audio analysis: re-chunks PCM of any chunk size into 32 ms VAD chunks, runs the streaming Silero VAD
 * and the utterance segmenter, and reports speech probabilities and utterance boundaries on the media clock.
 *
 * Input rules (documented behaviour rather than crashes): samples must be finite — NaN/±Infinity samples are
 * replaced by 0 and counted; values beyond [-1, 1] (clipped or hot audio) are clamped and counted; an empty
 * chunk is ignored; a chunk whose time goes backwards is rejected with AudioInputError. Sample rate must be 16 kHz
 * (decoders resample); anything else is rejected at construction.
 */
import type { AudioChunk } from '../ingest/mediaSource.ts';
import { AudioInputError, SileroVad, VAD_CHUNK, VAD_SAMPLE_RATE } from './sileroVad.ts';
import { type SegmenterOptionsInput, UtteranceSegmenter } from './utteranceSegmenter.ts';

export type AudioFinding =
  | { kind: 'utterance.start'; t: number; utteranceId: string; start: number; continuation: boolean }
  | { kind: 'utterance.end'; t: number; utteranceId: string; start: number; end: number; continuation: boolean }
  /** speech probability of one VAD chunk ending at t */
  | { kind: 'speaking'; t: number; probability: number };

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

  private constructor(
    private readonly vad: SileroVad,
    readonly segmenter: UtteranceSegmenter,
  ) {}

  static async create(
    opts: { sampleRate?: number; segmenter?: SegmenterOptionsInput; vad?: SileroVad } = {},
  ): Promise<AudioAnalyzer> {
    const rate = opts.sampleRate ?? VAD_SAMPLE_RATE;
    if (rate !== VAD_SAMPLE_RATE) {
      throw new AudioInputError(`audio must be 16000 Hz mono for the VAD, got ${rate} Hz (resample it first)`);
    }
    return new AudioAnalyzer(opts.vad ?? (await SileroVad.load()), new UtteranceSegmenter(opts.segmenter));
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
    for (let i = 0; i < n; i++) {
      let v = chunk.samples[i];
      if (!Number.isFinite(v)) {
        v = 0;
        this.stats.nonFiniteSamples++;
      } else if (v > 1 || v < -1) {
        v = v > 1 ? 1 : -1;
        this.stats.clippedSamples++;
      }
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
    for (const e of this.segmenter.advance(end)) out.push(e);
  }

  private async runChunk(out: AudioFinding[]): Promise<void> {
    const p = await this.vad.probability(this.buf);
    this.stats.chunks++;
    const dur = VAD_CHUNK / VAD_SAMPLE_RATE;
    const t = this.bufT;
    out.push({ kind: 'speaking', t: t + dur, probability: p });
    for (const e of this.segmenter.push(t, dur, p)) out.push(e);
  }

  /** End of stream: closes an open utterance at the last audio time. */
  flush(): AudioFinding[] {
    return this.segmenter.flush(this.nextT ?? 0);
  }

  async close(): Promise<void> {
    await this.vad.close();
  }
}
