/**
 * Live analysis in the server: every source announced on the hub (WHIP, call participants) gets a stream pipeline;
 * vision runs in a pool of worker threads sized to the cores, warmed before /readyz turns ready.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { UtteranceEmotionOptionsInput } from '../model/utteranceEmotion.ts';
import { defaultBranches } from '../pipeline/branchFactory.ts';
import { EmotionModelHost } from '../pipeline/modelEmotionBranch.ts';
import { PipelineManager } from '../pipeline/pipelineManager.ts';
import type { VisionWorkerInfo, VisionWorkerInit } from '../pipeline/visionWorker.ts';
import { WorkerPool } from '../pipeline/workerPool.ts';
import type { ServerContext } from './app.ts';

export let activePipelines: PipelineManager | undefined;

export async function analysisModule(ctx: ServerContext): Promise<void> {
  const log = ctx.log.child({ component: 'analysis' });
  const init: VisionWorkerInit = {
    modelsDir: resolve(ctx.config.modelsDir),
    ortThreads: ctx.config.ortThreads,
    provider: ctx.config.executionProvider,
    imageEncoder: ctx.config.imageEncoder ? { path: resolve(ctx.config.imageEncoder) } : undefined,
  };
  const size = availableParallelism();
  const { config } = ctx;
  const emotion: UtteranceEmotionOptionsInput = {
    partialEveryS: config.emotionPartialS,
    windowS: config.emotionWindowS,
    contextS: config.emotionContextS,
    llm: { enabled: !!config.llmUrl, url: config.llmUrl, model: config.llmModel, apiKey: config.llmApiKey },
  };
  ctx.readiness.wait('vision-workers', 'waiting for the models');
  ctx.readiness.wait(
    'emotion-model',
    config.weights
      ? `waiting for the vision workers, then weights ${config.weights}`
      : 'waiting for the vision workers',
  );
  let pool: WorkerPool | undefined;
  let model: EmotionModelHost | undefined;
  let manager: PipelineManager | undefined;
  ctx.sources.on('source', (source) => {
    try {
      if (!manager) throw new Error('the server is not ready yet (models loading)');
      manager.attach(source, { mode: 'live' });
    } catch (err) {
      log.error({ err: (err as Error).message, streamId: source.info.streamId }, 'cannot analyse source');
      void source.stop('error', (err as Error).message);
    }
  });
  // Workers load the models themselves, so they start once the models are verified (or rebuilt); a warm-up
  // request per worker tells when they are up and how wide the optional image encoder's embeddings are, which the
  // emotion model's global tokens must match. A bad weights or encoder file fails readiness with the reason (the
  // server still answers /healthz and /readyz).
  void ctx.readiness
    .whenDone('models')
    .then(async () => {
      ctx.readiness.wait('vision-workers', `starting ${size} vision workers`);
      const p = new WorkerPool(new URL('../pipeline/visionWorker.ts', import.meta.url), size, init);
      pool = p;
      const infos = await Promise.all(
        Array.from({ length: size }, (_, i) => p.run<VisionWorkerInfo>(`warmup-${i}`, 'warmup', null)),
      );
      for (let i = 0; i < size; i++) await p.release(`warmup-${i}`);
      log.info({ workers: size }, 'vision workers up');
      return infos[0].imageEmbeddingDim;
    })
    .then(
      async (imageEmbeddingDim) => {
        try {
          const m = await EmotionModelHost.start({
            weights: config.weights ? resolve(config.weights) : undefined,
            imageEmbeddingDim,
          });
          model = m;
          manager = new PipelineManager(ctx.bus, pool as WorkerPool, defaultBranches(m, { emotion }), log, {
            faceFrameHz: config.faceFrameHz,
          });
          activePipelines = manager;
          ctx.readiness.done('emotion-model');
          // streams are accepted from here on: both are needed
          ctx.readiness.done('vision-workers');
          log.info(
            { weights: config.weights ?? 'default', kind: m.info.kind, imageEmbeddingDim },
            'emotion model ready',
          );
        } catch (err) {
          ctx.readiness.fail('emotion-model', (err as Error).message);
          ctx.readiness.fail('vision-workers', `emotion model failed: ${(err as Error).message}`);
          log.error({ err: (err as Error).message }, 'emotion model failed to load');
        }
      },
      (err: Error) => {
        ctx.readiness.fail('vision-workers', err.message);
        ctx.readiness.fail('emotion-model', 'vision workers failed to start');
        log.error({ err: err.message }, 'vision workers failed to start');
      },
    );
  ctx.shutdown.register('analysis', async () => {
    await ctx.sources.stopAll('shutdown');
    await manager?.stopAll('shutdown');
    await pool?.close();
    await model?.close();
  });
}
