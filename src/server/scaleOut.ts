/**
 * Scale-out: with `redisUrl` set, socket.io instances share rooms through the Redis *Streams* adapter — the one
 * that also supports connection state recovery (the pub/sub adapter does not).
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { ServerContext } from './app.ts';

export async function attachRedisAdapter(ctx: ServerContext): Promise<void> {
  const url = ctx.config.redisUrl;
  if (!url) return;
  const log = ctx.log.child({ component: 'redis' });
  let everConnected = false;
  const client = createClient({
    url,
    socket: {
      connectTimeout: 3000,
      // At start-up, give up after a few tries so a wrong URL fails fast; once up, keep reconnecting.
      reconnectStrategy: (retries: number, cause: Error) =>
        !everConnected && retries >= 3 ? cause : Math.min((retries + 1) * 200, 2000),
    },
  });
  client.on('ready', () => {
    everConnected = true;
  });
  client.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  ctx.readiness.wait('redis', `connecting to ${url}`);
  try {
    await client.connect();
  } catch (err) {
    ctx.readiness.fail('redis', `cannot connect to ${url}: ${(err as Error).message}`);
    throw new Error(`redisUrl ${url}: cannot connect (${(err as Error).message})`);
  }
  ctx.io.adapter(createAdapter(client, { blockTimeInMs: 1000 }));
  ctx.readiness.done('redis');
  log.info({ url }, 'socket.io scaled out through Redis Streams');
  ctx.shutdown.register('redis', async () => {
    await client.quit().catch(() => client.disconnect());
  });
}
