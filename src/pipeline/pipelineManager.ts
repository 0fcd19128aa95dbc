/**
 * Owns the stream pipelines of a process: one per MediaSource, sharing one vision worker pool. The server attaches
 * every live source (WHIP, call participants); `microemo analyze` attaches a file source.
 */
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../events/logger.ts';
import type { EndReason, MediaSource, SourceInfo } from '../ingest/mediaSource.ts';
import type { AudioBranch, EmotionBranch } from './branches.ts';
import { type FrameRecord, StreamPipeline, type StreamPipelineOptions } from './streamPipeline.ts';
import type { TimeRingBuffer } from './timeRingBuffer.ts';
import type { WorkerPool } from './workerPool.ts';

/** Builds the per-stream branches (VAD/prosody state and model state are per stream). */
export interface BranchFactory {
  audio(info: SourceInfo): AudioBranch;
  emotion(info: SourceInfo, frames: TimeRingBuffer<FrameRecord>): EmotionBranch;
}

export class PipelineManager {
  private readonly pipelines = new Map<string, StreamPipeline>();

  constructor(
    private readonly bus: EventBus,
    private readonly pool: WorkerPool,
    private readonly branches: BranchFactory,
    private readonly log: Logger,
    private readonly options: Partial<StreamPipelineOptions> = {},
  ) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(streamId: string): StreamPipeline | undefined {
    return this.pipelines.get(streamId);
  }

  /**
   * Starts analysing a source; `wall` stamps wall time per media time (file runs pass a reproducible clock).
   * Throws when a stream with the same id is already being analysed.
   */
  attach(
    source: MediaSource,
    overrides: Partial<StreamPipelineOptions> = {},
    wall?: (t: number) => number,
  ): StreamPipeline {
    const { streamId, room } = source.info;
    if (this.pipelines.has(streamId)) throw new Error(`stream ${streamId} is already being analysed`);
    const log = this.log.child({ streamId, room });
    const pipeline = new StreamPipeline(
      source,
      {
        publisher: this.bus.stream(streamId, room, 0, wall),
        pool: this.pool,
        audio: this.branches.audio(source.info),
        emotion: (frames) => this.branches.emotion(source.info, frames),
        log,
      },
      { ...this.options, ...overrides },
    );
    this.pipelines.set(streamId, pipeline);
    void pipeline.done.then(() => this.pipelines.delete(streamId));
    pipeline.start();
    log.info({ source: source.info.kind }, 'stream analysis started');
    return pipeline;
  }

  /** Ends every stream (server shutdown) and waits for their stream.ended events. */
  async stopAll(reason: EndReason = 'shutdown'): Promise<void> {
    await Promise.all([...this.pipelines.values()].map((p) => p.stop(reason)));
  }
}
