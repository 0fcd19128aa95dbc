/**
 * Start-up readiness of the models: verify models/ against its manifest (files present, sha256, package version);
 * when they are missing or stale, rebuild them from the npm packages (seconds, offline), then load and warm every
 * session. /readyz stays 503 until this is done, and says why if it fails.
 */
import { resolve } from 'node:path';
import { buildModels, MODEL_SPECS } from '../model/modelBuild.ts';
import { describeProblems, verifyModels } from '../model/modelVerify.ts';
import { OrtSessionCache } from '../model/ortSession.ts';
import type { ServerContext } from './app.ts';

/** Sessions shared by the server's in-process stages (the vision workers load their own). */
export let serverSessions: OrtSessionCache | undefined;

export async function modelsReady(ctx: ServerContext): Promise<void> {
  const dir = resolve(ctx.config.modelsDir);
  const log = ctx.log.child({ component: 'models' });
  ctx.readiness.wait('models', `checking ${dir}`);
  // Runs after the server is listening so that /healthz answers at once while models load.
  setImmediate(() => {
    void (async () => {
      try {
        let check = verifyModels(dir);
        if (!check.ok) {
          log.warn(describeProblems(check));
          ctx.readiness.wait('models', 'rebuilding models from the npm packages');
          buildModels({ outDir: dir, log: (line) => log.info(line) });
          check = verifyModels(dir);
          if (!check.ok) throw new Error(describeProblems(check));
        }
        ctx.readiness.wait('models', 'loading and warming sessions');
        serverSessions = new OrtSessionCache({
          intraOpThreads: ctx.config.ortThreads,
          provider: ctx.config.executionProvider,
        });
        for (const spec of MODEL_SPECS) await serverSessions.model(spec.name, dir);
        ctx.readiness.done('models');
        log.info({ models: MODEL_SPECS.length, dir }, 'models loaded and warmed');
      } catch (err) {
        const message = (err as Error).message;
        ctx.readiness.fail('models', message);
        log.error(message);
      }
    })();
  });
}
