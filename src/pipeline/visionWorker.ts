/**
 * Vision worker thread: one FaceStack (+ MoveNet) per worker, one FrameAnalyzer per stream routed to it. Answers
 * 'frame' requests (pixels transferred in) with a VisionResult.
 */

import { runInBackground } from '../ingest/processPriority.ts';
import { OrtSessionCache } from '../model/ortSession.ts';
import { warmFrameAnalysis } from '../vision/analysisWarmup.ts';
import { FaceDescriptor } from '../vision/faceDescriptor.ts';
import { FaceStack } from '../vision/faceStack.ts';
import { FrameAnalyzer, type FrameAnalyzerOptions } from '../vision/frameAnalyzer.ts';
import { ImageEncoder, type ImageEncoderOptions } from '../vision/imageEncoder.ts';
import { MoveNet } from '../vision/movenet.ts';
import type { VisionRequest, VisionResult } from './branches.ts';
import { serveWorker, workerInit } from './workerHost.ts';

export interface VisionWorkerInit {
  modelsDir?: string;
  ortThreads?: number;
  provider?: 'cpu' | 'cuda';
  analyzer?: Partial<FrameAnalyzerOptions>;
  /** optional ONNX image encoder for the global token (path + preprocessing) */
  imageEncoder?: { path: string } & Partial<ImageEncoderOptions>;
}

/** What a 'warmup' request answers: the worker is up, and the width of its image embeddings (0 = none). */
export interface VisionWorkerInfo {
  imageEmbeddingDim: number;
}

const init = workerInit<VisionWorkerInit>();
// heavy work yields the core to the main event loop when both want it (processPriority.ts)
runInBackground();
const cache = new OrtSessionCache({ intraOpThreads: init.ortThreads ?? 1, provider: init.provider ?? 'cpu' });
const stack = await FaceStack.load({ dir: init.modelsDir, cache });
const movenet = new MoveNet(await cache.model('movenet', init.modelsDir));
// re-identifies a face that comes back after a short occlusion (run only when a track is lost and a face is new)
const descriptor = new FaceDescriptor(await cache.model('faceres', init.modelsDir));
const imageEncoder = init.imageEncoder
  ? await ImageEncoder.load(cache, init.imageEncoder.path, init.imageEncoder)
  : null;
const streams = new Map<string, FrameAnalyzer>();
let streamsStarted = 0;
const GOLDEN_FRACTION = (Math.sqrt(5) - 1) / 2;
// before the pool's 'warmup' request is answered, so a stream's first frames run at steady-state cost
await warmFrameAnalysis(new FrameAnalyzer(stack, movenet, init.analyzer, undefined, undefined, descriptor));

/**
 * Busy fraction of this worker over the last second (all its streams): each stream's frame gate sees its own cost
 * only, so without this, streams sharing a worker kept their global branch until the worker's queue dropped frames.
 */
class BusyMeter {
  private readonly spans: { end: number; ms: number }[] = [];
  private sum = 0;

  add(end: number, ms: number): number {
    this.spans.push({ end, ms });
    this.sum += ms;
    while (this.spans.length && this.spans[0].end < end - 1000) this.sum -= this.spans.shift()?.ms ?? 0;
    return Math.min(1, Math.max(0, this.sum / 1000));
  }
}
const busy = new BusyMeter();

serveWorker(
  async (kind, key, payload) => {
    if (kind === 'warmup') return { result: { imageEmbeddingDim: imageEncoder?.dim ?? 0 } satisfies VisionWorkerInfo };
    if (kind !== 'frame') throw new Error(`vision worker: unknown request ${kind}`);
    const req = payload as VisionRequest;
    let analyzer = streams.get(key);
    if (!analyzer) {
      // golden-ratio phases (0, 0.62, 0.24, 0.85, …): any number of streams on this worker stay spread over the
      // detector and body-pose periods; the first stream keeps phase 0, so a lone file run is unchanged
      const schedulePhase = (streamsStarted++ * GOLDEN_FRACTION) % 1;
      analyzer = new FrameAnalyzer(
        stack,
        movenet,
        { schedulePhase, ...init.analyzer },
        undefined,
        undefined,
        descriptor,
      );
      streams.set(key, analyzer);
    }
    const t0 = performance.now();
    const a = await analyzer.analyse({ width: req.width, height: req.height, rgb: req.rgb }, req.t, {
      global: req.global,
      speaking: req.speaking,
      halfExpression: req.halfExpression ?? false,
    });
    const imageEmbedding = imageEncoder && a.globalToken ? await imageEncoder.embed(req) : null;
    const end = performance.now();
    const result: VisionResult = {
      t: req.t,
      index: req.index,
      faces: a.faces.map((f) => f.observation),
      // the event's time is the expression's offset; the pipeline orders it by the frame that confirmed it
      microexpressions: a.microexpressions.map((m) => ({ ...m, t: m.offset })),
      localTokens: a.faces.map((f) => ({ trackId: f.observation.trackId, token: f.localToken })),
      globalToken: a.globalToken,
      halfExpression: req.halfExpression ?? false,
      // the scene embedding rides with the global branch (skipped with it when the machine is behind)
      imageEmbedding,
      mouthActivity: a.faces.map((f) => ({ trackId: f.observation.trackId, value: f.mouthActivity })),
      costMs: end - t0,
      workerLoad: busy.add(end, end - t0),
      // nothing keeps the frame past analyse(): the buffer goes back to the stream for reuse
      rgb: req.rgb,
    };
    const transfer = [
      req.rgb.buffer as ArrayBuffer,
      ...result.localTokens.map((l) => l.token.buffer as ArrayBuffer),
      ...(result.globalToken ? [result.globalToken.buffer as ArrayBuffer] : []),
      ...(result.imageEmbedding ? [result.imageEmbedding.buffer as ArrayBuffer] : []),
    ];
    return { result, transfer };
  },
  (key) => {
    streams.delete(key);
  },
);
