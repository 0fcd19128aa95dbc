/**
 * Live analysis in the server: every source announced on the hub (WHIP, call participants) gets a stream pipeline;
 * vision runs in a pool of worker threads sized to the cores, warmed before /readyz turns ready.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { CoreModel } from '../model/coreModel.ts';
import { loadCoreModel, type UtteranceEmotionOptionsInput } from '../model/utteranceEmotion.ts';
import { defaultBranches } from '../pipeline/branchFactory.ts';
import { PipelineManager } from '../pipeline/pipelineManager.ts';
import type { VisionWorkerInit } from '../pipeline/visionWorker.ts';
import { WorkerPool } from '../pipeline/workerPool.ts';
import type { ServerContext } from './app.ts';

export let activePipelines: PipelineManager | undefined;

export async function analysisModule(ctx: ServerContext): Promise<void> {
  const log = ctx.log.child({ component: 'analysis' });
  const init: VisionWorkerInit = {
    modelsDir: resolve(ctx.config.modelsDir),
    ortThreads: ctx.config.ortThreads,
    provider: ctx.config.executionProvider,
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
    config.weights ? `loading weights ${config.weights}` : 'building default weights',
  );
  let pool: WorkerPool | undefined;
  let model: CoreModel | undefined;
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
  // request per worker tells when they are up.
  // A bad weights file fails readiness with the reason (the server still answers /healthz and /readyz).
  const modelReady = loadCoreModel(config.weights ? resolve(config.weights) : undefined).then(
    (m) => {
      model = m;
      ctx.readiness.done('emotion-model');
      log.info({ weights: config.weights ?? 'default', kind: m.weights.meta?.kind }, 'emotion model ready');
      return m;
    },
    (err: Error) => {
      ctx.readiness.fail('emotion-model', err.message);
      log.error({ err: err.message }, 'emotion model failed to load');
      throw err;
    },
  );
  void ctx.readiness
    .whenDone('models')
    .then(() => modelReady)
    .then((m) => {
      ctx.readiness.wait('vision-workers', `starting ${size} vision workers`);
      const p = new WorkerPool(new URL('../pipeline/visionWorker.ts', import.meta.url), size, init);
      pool = p;
      manager = new PipelineManager(ctx.bus, p, defaultBranches(m, { emotion }), log, {
        faceFrameHz: config.faceFrameHz,
      });
      activePipelines = manager;
      return Promise.all(Array.from({ length: size }, (_, i) => p.run(`warmup-${i}`, 'warmup', null))).then(() => p);
    })
    .then(async (p) => {
      for (let i = 0; i < size; i++) await p.release(`warmup-${i}`);
      ctx.readiness.done('vision-workers');
      log.info({ workers: size }, 'vision workers ready');
    })
    .catch((err: Error) => {
      ctx.readiness.fail('vision-workers', err.message);
      log.error({ err: err.message }, 'vision workers failed to start');
    });
  ctx.shutdown.register('analysis', async () => {
    await ctx.sources.stopAll('shutdown');
    await manager?.stopAll('shutdown');
    await pool?.close();
    await model?.release();
  });
}
