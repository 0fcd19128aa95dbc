/**
 * The feature modules the server runs with, in start order. Each registers its routes, namespaces, readiness
 * checks and closers on the ServerContext.
 */

import { analysisModule } from './analysisModule.ts';
import type { ServerModule } from './app.ts';
import { callSignalling } from './callSignalling.ts';
import { eventsApi } from './eventsApi.ts';
import { modelsReady } from './modelsReady.ts';
import { attachRedisAdapter } from './scaleOut.ts';
import { webClient } from './webClient.ts';
import { whipRoutes } from './whipRoutes.ts';

export function defaultModules(): ServerModule[] {
  return [attachRedisAdapter, modelsReady, eventsApi(), analysisModule, whipRoutes, callSignalling, webClient()];
}
