/**
 * The pipeline's emotion branch over the core model (src/model UtteranceEmotionStage: global-local encoder →
 * utterance-aware Q-Former → head), which runs in a model worker thread (modelWorker.ts): onnxruntime-node infers
 * synchronously on the calling thread, and the main loop must stay responsive.
 *
 * Every call becomes a message to the worker, in call order, so the stage sees exactly the sequence the main thread
 * produced. Audio (speech probability + prosody: the frames the stream's audio analyzer in the same worker computed,
 * or the PCM when there is none) is handed over only up to the media time of the
 * event being released: audio runs ahead of video by a timing-dependent amount, and holding it back makes the
 * model's state at each decision a function of media time alone, so a file gives the same emotions on every run.
 * Live streams drop frames for the model when the worker falls behind (bounded queue), counted as 'model' drops.
 */

import type { AudioAnalyzerOptions } from '../audio/audioAnalyzer.ts';
import { countDropped } from '../events/metrics.ts';
import type { AudioChunk } from '../ingest/mediaSource.ts';
import type { UtteranceEmotionOptionsInput, VisionInput } from '../model/utteranceEmotion.ts';
import type { AudioBranch, AudioFinding, EmotionBranch, EmotionPayload, VisionResult } from './branches.ts';
import type { DueAnswer, ModelWorkerInfo, ModelWorkerInit } from './modelWorker.ts';
import { WorkerPool } from './workerPool.ts';

type HeldAudio = { t: number; pcm?: AudioChunk; speaking?: number };

/** The samples as their own buffer: a view would clone its whole underlying buffer across the thread boundary. */
function ownBuffer(x: Float32Array): Float32Array {
  return x.byteLength === x.buffer.byteLength ? x : x.slice();
}

/** Audio older than this (media seconds behind the newest) is handed over even before a release asks for it. */
const MAX_HELD_S = 10;

export interface ModelBranchOptions {
  /** 'live' drops frames for the model beyond `maxQueuedFrames` waiting in the worker; 'file' never drops */
  mode: 'live' | 'file';
  maxQueuedFrames: number;
}

/** The model worker of a process: one thread, the model's sessions, a stage per stream. */
export class EmotionModelHost {
  /** streams whose audio analyzer in the worker computes prosody frames the emotion stage can take */
  private readonly workerProsody = new Set<string>();

  private constructor(
    private readonly pool: WorkerPool,
    readonly info: ModelWorkerInfo,
  ) {}

  /** Starts the worker and waits for the model (a bad weights file rejects with the reason). */
  static async start(init: ModelWorkerInit): Promise<EmotionModelHost> {
    const pool = new WorkerPool(new URL('./modelWorker.ts', import.meta.url), 1, init);
    try {
      const info = await pool.run<ModelWorkerInfo>('__host', 'info', null);
      await pool.release('__host');
      return new EmotionModelHost(pool, info);
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  /** The stream's audio analysis (VAD, segmenter, prosody) in the worker: the main loop only passes PCM along. */
  audioBranch(streamId: string, options: Pick<AudioAnalyzerOptions, 'segmenter' | 'prosody'> = {}): AudioBranch {
    const key = `audio:${streamId}`;
    const opened = this.pool.run(key, 'audio.open', options);
    opened.catch(() => undefined);
    if (options.prosody !== false) this.workerProsody.add(streamId);
    return {
      push: async (chunk) => {
        await opened;
        return this.pool.run<AudioFinding[]>(key, 'audio.push', { t: chunk.t, samples: ownBuffer(chunk.samples) });
      },
      flush: async () => {
        await opened;
        return this.pool.run<AudioFinding[]>(key, 'audio.flush', null);
      },
      close: () => {
        this.workerProsody.delete(streamId);
        return this.pool.release(key).catch(() => undefined);
      },
    };
  }

  branch(
    streamId: string,
    options: UtteranceEmotionOptionsInput = {},
    b: Partial<ModelBranchOptions> = {},
  ): ModelEmotionBranch {
    return new ModelEmotionBranch(this.pool, streamId, options, { mode: 'live', maxQueuedFrames: 45, ...b }, () =>
      this.workerProsody.has(streamId),
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export class ModelEmotionBranch implements EmotionBranch {
  private readonly held: HeldAudio[] = [];
  private queued = 0;
  private failure: Error | undefined;
  /**
   * The stage's next due time as last reported: releases before it (most face.frame events) skip the round trip to
   * the worker, which would only answer nothing. Reset by every utterance boundary the stage is told about; `epoch`
   * keeps an answer computed before a reset from restoring a stale value.
   */
  private nextDue = Number.NEGATIVE_INFINITY;
  private epoch = 0;

  constructor(
    private readonly pool: WorkerPool,
    private readonly streamId: string,
    options: UtteranceEmotionOptionsInput,
    private readonly opts: ModelBranchOptions,
    /** whether the stream's audio analyzer in the worker gives the prosody frames (asked at the first hand-over) */
    private readonly framesInWorker: () => boolean = () => false,
  ) {
    this.post('open', options);
  }

  /** decided once, at the first audio hand-over: a stream's prosody comes from one source from start to end */
  private pcmSamples: boolean | undefined;

  /** Fire-and-forget messages: a failure is reported with the next answer. */
  private post(kind: string, payload: unknown): Promise<unknown> {
    const p = this.pool.run(this.streamId, kind, payload);
    p.catch((err: Error) => {
      this.failure ??= err;
    });
    return p;
  }

  private ask<R>(kind: string, payload: unknown): Promise<R> {
    return this.pool.run<R>(this.streamId, kind, payload).then((out) => {
      const f = this.failure;
      this.failure = undefined;
      if (f) throw f;
      return out;
    });
  }

  onVision(r: VisionResult): void {
    if (this.opts.mode === 'live' && this.queued >= this.opts.maxQueuedFrames) {
      countDropped(this.streamId, 'model');
      return;
    }
    // only what the stage reads crosses the thread boundary
    const input: VisionInput = {
      t: r.t,
      faces: r.faces.map((f) => ({ trackId: f.trackId, box: { w: f.box.w, h: f.box.h }, gaze: f.gaze })),
      localTokens: r.localTokens,
      globalToken: r.globalToken,
      imageEmbedding: r.imageEmbedding,
      mouthActivity: r.mouthActivity,
    };
    this.queued++;
    void this.post('vision', input).finally(() => this.queued--);
  }

  onAudio(f: AudioFinding): void {
    if (f.kind === 'speaking') this.hold({ t: f.t, speaking: f.probability });
    else {
      this.nextDue = Number.NEGATIVE_INFINITY;
      this.epoch++;
      this.post('audio', f);
    }
  }

  onPcm(chunk: AudioChunk): void {
    this.hold({ t: chunk.t, pcm: chunk });
  }

  due(t: number): Promise<EmotionPayload[]> {
    this.release(t);
    if (t < this.nextDue) return Promise.resolve([]);
    const epoch = this.epoch;
    return this.ask<DueAnswer>('due', t).then((a) => {
      if (epoch === this.epoch) this.nextDue = a.nextDue;
      return a.out;
    });
  }

  finalize(u: { utteranceId: string; start: number; end: number; trackId: number | null; t: number }) {
    this.release(u.t);
    return this.ask<EmotionPayload[]>('finalize', u);
  }

  async close(t: number): Promise<EmotionPayload[]> {
    this.release(Number.POSITIVE_INFINITY);
    try {
      return await this.ask<EmotionPayload[]>('end', t);
    } finally {
      await this.pool.release(this.streamId).catch(() => undefined);
    }
  }

  private hold(a: HeldAudio): void {
    this.held.push(a);
    // bounded: a stalled video branch must not make the audio pile up
    const newest = a.t;
    while (this.held.length && this.held[0].t < newest - MAX_HELD_S) this.handOver(this.held.shift() as HeldAudio);
  }

  /** Hands the model the audio that starts before media time t, in arrival order. */
  private release(t: number): void {
    while (this.held.length && this.held[0].t < t) this.handOver(this.held.shift() as HeldAudio);
  }

  private handOver(a: HeldAudio): void {
    if (a.speaking !== undefined) this.post('audio', { kind: 'speaking', t: a.t, probability: a.speaking });
    if (!a.pcm) return;
    this.pcmSamples ??= !this.framesInWorker();
    // with the analyzer's frames in the worker, the chunk's time says which of them the stage may take now
    this.post('pcm', this.pcmSamples ? { samples: ownBuffer(a.pcm.samples), t: a.pcm.t } : { t: a.pcm.t });
  }
}
