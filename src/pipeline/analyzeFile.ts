/**
 * Runs the live pipeline on a file: the same stages and events as a live stream, read as fast as analysis goes
 * (or paced in real time), with wall time derived from media time so that the same file gives the same events.
 */
import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import { EventBus } from '../events/bus.ts';
import { rootLogger } from '../events/logger.ts';
import type { EventType, MicroEmoEvent } from '../events/schema.ts';
import { openFileSource } from '../ingest/fileSource.ts';
import type { UtteranceEmotionOptionsInput } from '../model/utteranceEmotion.ts';
import { defaultBranches } from './branchFactory.ts';
import { EmotionModelHost } from './modelEmotionBranch.ts';
import { type BranchFactory, PipelineManager } from './pipelineManager.ts';
import type { VisionWorkerInfo, VisionWorkerInit } from './visionWorker.ts';
import { WorkerPool } from './workerPool.ts';

export interface AnalyzeFileOptions {
  streamId?: string;
  room?: string;
  realtime?: boolean;
  faceFrameHz?: number;
  longSide?: number;
  modelsDir?: string;
  ffmpegPath?: string;
  /** trained core-model weights (`microemo train`); default: the training-free default weights */
  weights?: string;
  /** optional ONNX image encoder whose embedding joins the global tokens (the weights must match its width) */
  imageEncoder?: string;
  /** the model's emotion stage options (partial/windowed cadence, context, descriptors, explanation rewrite) */
  emotion?: UtteranceEmotionOptionsInput;
  /** replaces the default branches (feature extraction for train/eval collects tokens this way; no model runs) */
  branches?: (o: { imageEmbeddingDim: number }) => BranchFactory;
  onEvent: (e: MicroEmoEvent) => void;
  onProgress?: (t: number, durationS: number | null) => void;
}

export interface AnalyzeResult {
  events: number;
  byType: Partial<Record<EventType, number>>;
  endReason: string;
  message?: string;
  durationS: number | null;
}

export async function analyzeFile(path: string, opts: AnalyzeFileOptions): Promise<AnalyzeResult> {
  const streamId = opts.streamId ?? basename(path, extname(path));
  const room = opts.room ?? 'file';
  const init: VisionWorkerInit = {
    modelsDir: opts.modelsDir,
    imageEncoder: opts.imageEncoder ? { path: opts.imageEncoder } : undefined,
  };
  // One stream uses one worker (its face state lives there); more would only cost memory.
  const pool = new WorkerPool(new URL('./visionWorker.ts', import.meta.url), Math.min(1, availableParallelism()), init);
  let model: EmotionModelHost | undefined;
  let imageEmbeddingDim = 0;
  try {
    const info = await pool.run<VisionWorkerInfo>('warmup', 'warmup', null);
    await pool.release('warmup');
    imageEmbeddingDim = info.imageEmbeddingDim;
    if (!opts.branches) model = await EmotionModelHost.start({ weights: opts.weights, imageEmbeddingDim });
  } catch (err) {
    await pool.close();
    throw err;
  }
  const source = await openFileSource(path, {
    streamId,
    room,
    realtime: opts.realtime,
    longSide: opts.longSide,
    ffmpegPath: opts.ffmpegPath,
  }).catch(async (err: Error) => {
    await Promise.all([model?.close(), pool.close()]);
    throw err;
  });
  const bus = new EventBus();
  const byType: Partial<Record<EventType, number>> = {};
  let events = 0;
  let ended: { reason: string; message?: string } = { reason: 'eof' };
  bus.on((e) => {
    events++;
    byType[e.type] = (byType[e.type] ?? 0) + 1;
    if (e.type === 'stream.ended') ended = { reason: e.reason, message: e.message };
    opts.onEvent(e);
  });
  const branches =
    opts.branches?.({ imageEmbeddingDim }) ??
    defaultBranches(model as EmotionModelHost, { emotion: opts.emotion, mode: 'file' });
  const manager = new PipelineManager(bus, pool, branches, rootLogger());
  try {
    const pipeline = manager.attach(source, { mode: 'file', faceFrameHz: opts.faceFrameHz ?? 10 }, (t) =>
      Math.round(t * 1000),
    );
    if (opts.onProgress) source.on('video', (f) => opts.onProgress?.(f.t, source.durationS));
    source.start();
    await pipeline.done;
  } finally {
    await pool.close();
    await model?.close();
  }
  return { events, byType, endReason: ended.reason, message: ended.message, durationS: source.durationS };
}
