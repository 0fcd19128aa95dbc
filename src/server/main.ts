/**
 * Process entry for `microemo serve` / `npm start`: validates configuration, starts the server, and stops it
 * gracefully on SIGINT/SIGTERM within the configured timeout.
 */
import { createRootLogger } from '../events/logger.ts';
import { buildServer } from './app.ts';
import type { Config } from './config.ts';
import { defaultModules } from './modules.ts';

export async function runServer(config: Config): Promise<void> {
  const log = createRootLogger(config.logLevel);
  const server = await buildServer(config, log, defaultModules());
  const { host, port } = await server.listen();
  log.info({ host, port }, `MicroEmo listening on http://${host}:${port}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const hardExit = setTimeout(() => {
      log.error('shutdown took too long, exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1000);
    hardExit.unref();
    await server.close();
    log.info('stopped');
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
