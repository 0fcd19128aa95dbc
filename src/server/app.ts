/**
 * Builds the HTTP server (Fastify) with socket.io attached, the health/readiness/metrics endpoints and the
 * feature modules. Everything a feature needs is in the ServerContext it is given.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Server as SocketIOServer } from 'socket.io';
import { EventBus } from '../events/bus.ts';
import type { Logger } from '../events/logger.ts';
import { metrics, registry } from '../events/metrics.ts';
import { SourceHub } from '../ingest/sourceHub.ts';
import type { Config } from './config.ts';
import { Readiness, Shutdown } from './lifecycle.ts';

export interface ServerContext {
  config: Config;
  log: Logger;
  app: FastifyInstance;
  io: SocketIOServer;
  bus: EventBus;
  /** live sources (WHIP sessions, call participants) are announced here */
  sources: SourceHub;
  readiness: Readiness;
  shutdown: Shutdown;
}

/** A feature module (WHIP, calls, event API, …) registers its routes, socket namespaces and closers. */
export type ServerModule = (ctx: ServerContext) => void | Promise<void>;

export interface BuiltServer extends ServerContext {
  /** Listens on config.host:config.port; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<{ host: string; port: number }>;
  /** Graceful stop: feature closers, socket.io, HTTP; bounded by config.shutdownTimeoutMs. */
  close(): Promise<void>;
}

export async function buildServer(config: Config, log: Logger, modules: ServerModule[] = []): Promise<BuiltServer> {
  // Requests are not logged one by one (metrics count them); the http child logs warnings and errors only.
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  }) as unknown as FastifyInstance;
  const io = new SocketIOServer(app.server, {
    serveClient: false,
    // Recovery of missed events across short disconnects (in memory here; Redis Streams when scaled out).
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: false },
  });
  const bus = new EventBus({ validate: config.validateEvents });
  bus.on((e) => metrics.eventsPublished.inc({ type: e.type }));
  const readiness = new Readiness();
  const shutdown = new Shutdown(log);
  const ctx: ServerContext = { config, log, app, io, bus, sources: new SourceHub(), readiness, shutdown };

  const LOOP_RESOLUTION_MS = 10;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  // the histogram records whole sampling intervals (resolution + delay): export the delay alone
  const delayS = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) / 1000;
  const loopTimer = setInterval(() => {
    for (const q of [50, 99]) metrics.eventLoopDelay.set({ quantile: String(q / 100) }, delayS(loop.percentile(q)));
    metrics.eventLoopDelay.set({ quantile: 'max' }, delayS(loop.max));
    loop.reset();
  }, 5000);
  loopTimer.unref();

  app.get('/healthz', async () => ({ status: 'ok', uptimeS: Math.round(process.uptime()) }));
  app.get('/readyz', async (_req, reply) => {
    const s = readiness.status();
    return reply.code(s.ready ? 200 : 503).send(s);
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  for (const m of modules) await m(ctx);

  let closing: Promise<void> | undefined;
  return {
    ...ctx,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      return { host: config.host, port };
    },
    close() {
      closing ??= (async () => {
        const deadline = Date.now() + config.shutdownTimeoutMs;
        await shutdown.run(Math.max(0, config.shutdownTimeoutMs - 500));
        clearInterval(loopTimer);
        loop.disable();
        // io.close() also closes the underlying HTTP server; Fastify's close then finishes its hooks.
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await Promise.race([app.close(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      })();
      return closing;
    },
  };
}
