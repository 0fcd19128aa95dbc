import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io as connect, type Socket } from 'socket.io-client';
import { rootLogger } from '../../src/events/logger.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { attachRedisAdapter } from '../../src/server/scaleOut.ts';
import { type RedisHandle, redisAvailable, startRedis } from '../harness/redis.ts';

const skip = redisAvailable() ? false : 'redis-server not installed (apt-get install redis-server)';

describe('socket.io scale-out through Redis Streams', { skip }, () => {
  let redis: RedisHandle;
  const servers: BuiltServer[] = [];
  const urls: string[] = [];
  before(async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) {
      const s = await buildServer(loadConfig({}, { port: 0, redisUrl: redis.url }), rootLogger(), [
        attachRedisAdapter,
        (ctx) => {
          ctx.io.of('/relay').on('connection', (sock) => {
            sock.on('join', (room: string, ack: () => void) => {
              sock.join(room);
              ack();
            });
            sock.on('say', (room: string, msg: string) => ctx.io.of('/relay').to(room).emit('said', msg));
          });
        },
      ]);
      const { port } = await s.listen();
      servers.push(s);
      urls.push(`http://127.0.0.1:${port}/relay`);
    }
  });
  after(async () => {
    for (const s of servers) await s.close();
    await redis?.stop();
  });

  it('delivers a room emit on one instance to that room only, on the other instance', async () => {
    const a: Socket = connect(urls[0], { transports: ['websocket'] });
    const b1: Socket = connect(urls[1], { transports: ['websocket'] });
    const b2: Socket = connect(urls[1], { transports: ['websocket'] });
    try {
      await Promise.all([b1.emitWithAck('join', 'room-a'), b2.emitWithAck('join', 'room-b')]);
      const gotB2: string[] = [];
      b2.on('said', (m: string) => gotB2.push(m));
      const received = new Promise<string>((resolve) => b1.on('said', resolve));
      // the adapter needs a moment to start reading the stream on both nodes
      await new Promise((r) => setTimeout(r, 300));
      a.emit('say', 'room-a', 'hello from instance A');
      assert.equal(await received, 'hello from instance A');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(gotB2, [], 'no cross-room delivery');
      assert.equal(servers[0].readiness.ready, true);
    } finally {
      a.close();
      b1.close();
      b2.close();
    }
  });

  it('fails start-up with a clear message when Redis is unreachable', async () => {
    await assert.rejects(
      buildServer(loadConfig({}, { port: 0, redisUrl: 'redis://127.0.0.1:1' }), rootLogger(), [attachRedisAdapter]),
      /redisUrl redis:\/\/127.0.0.1:1: cannot connect/,
    );
  });
});
