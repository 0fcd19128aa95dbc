/**
 * One stream's analysis, from a MediaSource to events on the bus:
 *
 *   audio chunk ─ AudioBranch (VAD, prosody) ─ utterance.* ─────────────┐
 *   video frame ─ FrameGate ─ vision worker (faces, AUs, spotting) ─────┼─ MediaTimeOrderer ─ publisher (seq)
 *                      ├ ring buffer of per-frame tokens                     │
 *                      └ EmotionBranch (encoder, Q-Former, head) ─ emotion ─┘
 *
 * Events are released in media-time order across audio and video, so an utterance's final emotion is computed only
 * once the video up to its end has been analysed, and a file gives the same events on every run. The emotion
 * branch answers asynchronously (onnxruntime); a publish chain keeps every event in release order.
 */
import type { StreamPublisher } from '../events/bus.ts';
import type { Logger } from '../events/logger.ts';
import { countDropped, forgetStream, metrics } from '../events/metrics.ts';
import type { EventPayload, EventType } from '../events/schema.ts';
import type { AudioChunk, EndReason, MediaSource, VideoFrame } from '../ingest/mediaSource.ts';
import type {
  AudioBranch,
  AudioFinding,
  EmotionBranch,
  EmotionPayload,
  VisionRequest,
  VisionResult,
} from './branches.ts';
import { FrameGate, STARTUP_INFLIGHT } from './frameGate.ts';
import { MediaTimeOrderer } from './mediaTimeOrderer.ts';
import { TimeRingBuffer } from './timeRingBuffer.ts';
import type { WorkerPool } from './workerPool.ts';

export interface StreamPipelineOptions {
  /** 'file' waits for analysis (pausing the source) instead of dropping frames, for reproducible runs */
  mode: 'live' | 'file';
  faceFrameHz: number;
  /** media seconds between stream.health events */
  healthIntervalS: number;
  /**
   * live only: how far the audio may lag the analysed video before video events stop waiting for it (a muted or
   * stalled audio track must not hold face events back)
   */
  maxAudioLagS: number;
  /** frames in flight in the worker before the gate drops (live) or the source pauses (file) */
  maxInflight: number;
  ringSeconds: number;
  ringBytes: number;
}

export const defaultPipelineOptions: StreamPipelineOptions = {
  mode: 'live',
  faceFrameHz: 10,
  healthIntervalS: 5,
  maxAudioLagS: 0.5,
  maxInflight: 2,
  ringSeconds: 60,
  ringBytes: 64 * 1024 * 1024,
};

/** One analysed frame as the ring buffer keeps it: tokens and results, no pixels. */
export interface FrameRecord {
  t: number;
  result: VisionResult;
}

function recordBytes(r: FrameRecord): number {
  let n = 256 + r.result.faces.length * 1024;
  for (const l of r.result.localTokens) n += l.token.byteLength;
  if (r.result.globalToken) n += r.result.globalToken.byteLength;
  return n;
}

type Pending = { [T in EventType]: { type: T; payload: EventPayload<T> } }[EventType];

const AUDIO = 0;
const VIDEO = 1;

export interface StreamPipelineDeps {
  publisher: StreamPublisher;
  pool: WorkerPool;
  audio: AudioBranch;
  /** built by the pipeline's owner with access to the frame ring buffer */
  emotion: (frames: TimeRingBuffer<FrameRecord>) => EmotionBranch;
  log: Logger;
}

export class StreamPipeline {
  readonly frames: TimeRingBuffer<FrameRecord>;
  private readonly gate: FrameGate;
  private readonly orderer: MediaTimeOrderer<Pending>;
  private readonly emotion: EmotionBranch;
  private readonly opts: StreamPipelineOptions;
  private readonly streamId: string;
  private inflight = 0;
  /**
   * Frame buffers handed back by the vision worker. Allocating a fresh 0.9 MB buffer per frame (27 MB/s per stream)
   * kept V8's garbage collector busy on the main thread and its helper threads; reused, the frame costs one copy.
   */
  private readonly spareFrames: ArrayBuffer[] = [];
  /** recent VAD probabilities by chunk end time, to look up the speech state at a frame's time */
  private readonly speech: { end: number; p: number }[] = [];
  /** media time up to which audio has been analysed (Infinity once the audio track has ended) */
  private audioDoneT = 0;
  /** file mode: frames waiting until the audio has been analysed up to their time */
  private readonly waiting: VideoFrame[] = [];
  private lastFaceFrameT = Number.NEGATIVE_INFINITY;
  private nextHealthT: number | undefined;
  private health = { in: 0, analysed: 0, global: 0, fullFace: 0, dropped: 0, firstT: Number.NaN };
  /** latest media time seen on either track */
  private lastT = 0;
  private ended = false;
  private paused = false;
  private readonly openUtterances = new Map<string, { start: number; trackId: number | null }>();
  private idle: Promise<void> = Promise.resolve();
  private audioChain: Promise<void> = Promise.resolve();
  /** events go to the publisher through this chain, in release order, waiting for the model's answers */
  private publishChain: Promise<void> = Promise.resolve();
  private resolveDone!: () => void;
  /** resolves once stream.ended has been published and resources are freed */
  readonly done = new Promise<void>((r) => {
    this.resolveDone = r;
  });

  constructor(
    private readonly source: MediaSource,
    private readonly deps: StreamPipelineDeps,
    options: Partial<StreamPipelineOptions> = {},
  ) {
    this.opts = { ...defaultPipelineOptions, ...options };
    this.streamId = source.info.streamId;
    this.gate = new FrameGate({
      maxInflight: this.opts.maxInflight,
      startupInflight: Math.max(this.opts.maxInflight, STARTUP_INFLIGHT),
      window: 30,
    });
    this.frames = new TimeRingBuffer<FrameRecord>({
      maxSeconds: this.opts.ringSeconds,
      capacity: Math.ceil(this.opts.ringSeconds * 60),
      maxBytes: this.opts.ringBytes,
      byteSize: recordBytes,
    });
    this.emotion = deps.emotion(this.frames);
    this.orderer = new MediaTimeOrderer<Pending>(2, (p) => this.release(p));
  }

  /** Publishes stream.started and starts consuming the source. */
  start(): void {
    const { info } = this.source;
    metrics.streams.inc({ source: info.kind });
    this.publish({
      type: 'stream.started',
      payload: { t: 0, source: info.kind, video: info.video, audio: info.audio },
    });
    if (!info.video) this.orderer.close(VIDEO);
    if (!info.audio) this.orderer.close(AUDIO);
    this.source.on('audio', (c) => this.onAudio(c));
    this.source.on('video', (f) => this.onVideo(f));
    this.source.on('trackEnd', (kind) => {
      if (kind === 'audio') {
        this.audioChain = this.audioChain.then(() => {
          this.audioDoneT = Number.POSITIVE_INFINITY;
          this.orderer.close(AUDIO);
          this.pumpWaiting();
        });
      } else this.idle = this.idle.then(() => this.orderer.close(VIDEO));
    });
    this.source.once('end', (reason, message) => void this.finish(reason, message));
  }

  /** Ends the stream from outside (shutdown, DELETE); resolves when stream.ended is out. */
  async stop(reason: EndReason = 'shutdown', message?: string): Promise<void> {
    await this.source.stop(reason, message);
    await this.finish(reason, message);
  }

  private onAudio(chunk: AudioChunk): void {
    if (this.ended) return;
    // VAD runs on onnxruntime (async): chunks are chained so they are analysed in order.
    this.audioChain = this.audioChain.then(async () => {
      if (this.ended) return;
      try {
        for (const f of await this.deps.audio.push(chunk)) this.onFinding(f);
        this.emotion.onPcm(chunk);
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, t: chunk.t }, 'audio chunk rejected');
      }
      const end = chunk.t + chunk.samples.length / 16000;
      this.lastT = Math.max(this.lastT, end);
      this.audioDoneT = Math.max(this.audioDoneT, end);
      this.orderer.advance(AUDIO, end);
      this.pumpWaiting();
    });
  }

  private onFinding(f: AudioFinding): void {
    switch (f.kind) {
      case 'speaking':
        this.speech.push({ end: f.t, p: f.probability });
        if (this.speech.length > 400) this.speech.splice(0, this.speech.length - 300);
        this.emotion.onAudio(f);
        break;
      case 'utterance.start':
        // stamped with the (pre-rolled) onset, not the moment speech was confirmed
        this.orderer.add(AUDIO, f.start, {
          type: 'utterance.start',
          payload: { t: f.start, utteranceId: f.utteranceId, continuation: f.continuation, trackId: null },
        });
        break;
      case 'utterance.end':
        this.orderer.add(AUDIO, f.t, {
          type: 'utterance.end',
          payload: {
            t: f.t,
            utteranceId: f.utteranceId,
            start: f.start,
            end: f.end,
            continuation: f.continuation,
            trackId: null,
            ...(f.prosody ? { prosody: f.prosody } : {}),
          },
        });
        break;
    }
  }

  /**
   * Speech probability of the VAD chunk that covers media time t (the latest one when audio is behind): it
   * conditions the mouth AUs, so in file mode frames wait for it (below) to keep runs reproducible.
   */
  private speakingAt(t: number): number {
    for (const s of this.speech) if (s.end >= t) return s.p;
    return this.speech.at(-1)?.p ?? 0;
  }

  private onVideo(frame: VideoFrame): void {
    if (this.ended) return;
    // strictly past t: at equality (t = 0 before any audio) the frame would take whatever speech state the race left
    if (this.opts.mode === 'file' && this.source.info.audio && frame.t >= this.audioDoneT) {
      // the frame's buffer is the decoder's: keep a copy while it waits
      this.waiting.push({ ...frame, rgb: frame.rgb.slice() });
      if (this.waiting.length >= 4 && this.source.pause && !this.paused) {
        this.paused = true;
        this.source.pause();
      }
      return;
    }
    this.analyseFrame(frame);
  }

  private pumpWaiting(): void {
    while (this.waiting.length && this.waiting[0].t < this.audioDoneT) this.analyseFrame(this.waiting.shift()!);
    if (this.paused && this.waiting.length < 4 && this.inflight < this.opts.maxInflight) {
      this.paused = false;
      this.source.resume?.();
    }
  }

  private analyseFrame(frame: VideoFrame): void {
    this.health.in++;
    if (Number.isNaN(this.health.firstT)) this.health.firstT = frame.t;
    metrics.framesIn.inc({ stream: this.streamId });
    const live = this.opts.mode === 'live';
    // Files wait instead of degrading: their output must not depend on how fast this machine is.
    const decision = live
      ? this.gate.decide(frame.t, this.inflight)
      : ({ take: true, global: true, level: 0, halfExpression: false } as const);
    if (!decision.take) {
      this.health.dropped++;
      countDropped(this.streamId, 'gate');
      return;
    }
    // Copy out of the decoder's pooled buffer only for frames that are taken; the copy is transferred, not cloned.
    const rgb = this.frameBuffer(frame.rgb.byteLength);
    rgb.set(frame.rgb);
    const req: VisionRequest = {
      t: frame.t,
      index: frame.index,
      width: frame.width,
      height: frame.height,
      rgb,
      global: decision.global,
      halfExpression: decision.halfExpression,
      speaking: this.speakingAt(frame.t),
    };
    this.inflight++;
    metrics.queueDepth.set({ stage: 'vision' }, this.inflight);
    if (!live && this.inflight >= this.opts.maxInflight && this.source.pause) {
      this.paused = true;
      this.source.pause();
    }
    const job = this.deps.pool
      .run<VisionResult>(this.streamId, 'frame', req, [rgb.buffer])
      .then(
        (result) => this.onVision(result),
        (err: Error) => this.deps.log.warn({ err: err.message, t: frame.t }, 'frame analysis failed'),
      )
      .finally(() => {
        this.inflight--;
        metrics.queueDepth.set({ stage: 'vision' }, this.inflight);
        if (this.paused && this.inflight < this.opts.maxInflight && this.waiting.length < 4) {
          this.paused = false;
          this.source.resume?.();
        }
      });
    this.idle = this.idle.then(() => job);
  }

  private frameBuffer(bytes: number): Uint8Array<ArrayBuffer> {
    const spare = this.spareFrames.pop();
    return spare && spare.byteLength === bytes ? new Uint8Array(spare) : new Uint8Array(bytes);
  }

  private onVision(result: VisionResult): void {
    // the pixels never travel further (ring buffer, model worker): back to the spares before anything else
    if (result.rgb) {
      if (this.spareFrames.length < this.opts.maxInflight + 1) this.spareFrames.push(result.rgb.buffer as ArrayBuffer);
      delete result.rgb;
    }
    if (this.ended) return;
    this.health.analysed++;
    if (result.globalToken) this.health.global++;
    if (!result.halfExpression) this.health.fullFace++;
    this.lastT = Math.max(this.lastT, result.t);
    metrics.framesAnalysed.inc({ stream: this.streamId });
    metrics.stageLatency.observe({ stage: 'vision' }, result.costMs / 1000);
    if (this.opts.mode === 'live') this.gate.report(result.costMs / 1000, result.workerLoad);
    this.frames.push({ t: result.t, result });
    this.emotion.onVision(result);
    const hz = this.gate.faceFrameHz(this.opts.faceFrameHz);
    // Rate-limit on media time (not wall time) so that file runs are reproducible.
    if (result.t - this.lastFaceFrameT >= 1 / hz - 1e-6) {
      this.lastFaceFrameT = result.t;
      this.orderer.add(VIDEO, result.t, { type: 'face.frame', payload: { t: result.t, faces: result.faces } });
    }
    for (const m of result.microexpressions) this.orderer.add(VIDEO, result.t, { type: 'microexpression', payload: m });
    this.maybeHealth(result.t);
    if (this.opts.mode === 'live') this.orderer.advance(AUDIO, result.t - this.opts.maxAudioLagS);
    this.orderer.advance(VIDEO, result.t);
  }

  private maybeHealth(t: number): void {
    this.nextHealthT ??= t + this.opts.healthIntervalS;
    if (t < this.nextHealthT) return;
    const span = Math.max(1e-3, t - this.health.firstT);
    // A file is read ahead of its analysis by however far this machine's timing allows: counted by media time (the
    // frames up to t, all answered by now), its health is the same on every run.
    const live = this.opts.mode === 'live';
    const total = live ? this.health.in : this.health.analysed + this.health.dropped;
    this.orderer.add(VIDEO, t, {
      type: 'stream.health',
      payload: {
        t,
        fpsIn: round(total / span),
        fpsAnalysed: round(this.health.analysed / span),
        fpsGlobal: round(this.health.global / span),
        fpsFullFace: round(this.health.fullFace / span),
        framesDropped: this.health.dropped,
        dropRatio: total ? round(this.health.dropped / total) : 0,
        queueDepth: live ? this.inflight : 0,
        faceFrameHz: this.gate.faceFrameHz(this.opts.faceFrameHz),
        degraded: this.gate.degradation > 0,
      },
    });
    this.nextHealthT = t + this.opts.healthIntervalS;
  }

  /** Called in media-time order by the orderer. */
  private release(p: Pending): void {
    if (p.type === 'utterance.start') {
      const trackId = this.speakerAt(p.payload.t);
      p.payload.trackId = trackId;
      this.openUtterances.set(p.payload.utteranceId, { start: p.payload.t, trackId });
      this.emotion.onAudio({
        kind: 'utterance.start',
        t: p.payload.t,
        utteranceId: p.payload.utteranceId,
        start: p.payload.t,
        continuation: p.payload.continuation,
      });
    }
    if (p.type === 'utterance.end') {
      const open = this.openUtterances.get(p.payload.utteranceId);
      p.payload.trackId = open?.trackId ?? this.speakerAt(p.payload.start);
      this.openUtterances.delete(p.payload.utteranceId);
    }
    // The model is asked now (its state then matches this media time); the answers are published in order.
    const due = this.emotion.due(p.payload.t);
    let final: Promise<EmotionPayload[]> | undefined;
    if (p.type === 'utterance.end') {
      const { utteranceId, start, end, trackId, t, continuation } = p.payload;
      this.emotion.onAudio({ kind: 'utterance.end', t, utteranceId, start, end, continuation });
      final = this.emotion.finalize({ utteranceId, start, end, trackId, t });
    }
    this.publishChain = this.publishChain.then(async () => {
      for (const e of await this.answers(due)) this.publish({ type: 'emotion', payload: e });
      this.publish(p);
      if (final) for (const e of await this.answers(final)) this.publish({ type: 'emotion', payload: e });
    });
  }

  private answers(p: Promise<EmotionPayload[]>): Promise<EmotionPayload[]> {
    return p.catch((err: Error) => {
      this.deps.log.warn({ err: err.message }, 'emotion model failed');
      return [];
    });
  }

  /** The face whose mouth moved most in the last second before t (the active speaker), or null without faces. */
  private speakerAt(t: number): number | null {
    const recent = this.frames.range(t - 1, t + 0.5);
    const score = new Map<number, number>();
    for (const r of recent) {
      for (const m of r.result.mouthActivity) score.set(m.trackId, (score.get(m.trackId) ?? 0) + m.value);
    }
    let best: number | null = null;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const [id, s] of score) {
      if (s > bestScore || (s === bestScore && best !== null && id < best)) {
        best = id;
        bestScore = s;
      }
    }
    return best;
  }

  private publish(p: Pending): void {
    try {
      this.deps.publisher.publish(p.type, p.payload as never);
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message, type: p.type }, 'event rejected by the schema');
    }
  }

  private finishing: Promise<void> | undefined;

  private finish(reason: EndReason, message?: string): Promise<void> {
    this.finishing ??= (async () => {
      // Let frames already in the worker come back, so their events are not lost.
      await this.audioChain;
      this.audioDoneT = Number.POSITIVE_INFINITY;
      this.pumpWaiting();
      await this.idle;
      try {
        for (const f of await this.deps.audio.flush()) this.onFinding(f);
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message }, 'audio flush failed');
      }
      this.orderer.close(AUDIO);
      this.orderer.close(VIDEO);
      this.orderer.flush();
      const tail = this.emotion.close(this.lastT);
      this.publishChain = this.publishChain.then(async () => {
        for (const e of await this.answers(tail)) this.publish({ type: 'emotion', payload: e });
      });
      await this.publishChain;
      this.ended = true;
      const payload: EventPayload<'stream.ended'> = { t: this.lastT, reason };
      if (message) payload.message = message;
      this.publish({ type: 'stream.ended', payload });
      await this.deps.audio.close();
      await this.deps.pool.release(this.streamId).catch(() => undefined);
      this.frames.clear();
      metrics.streams.dec({ source: this.source.info.kind });
      forgetStream(this.streamId);
      this.resolveDone();
    })();
    return this.finishing;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
