import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rootLogger } from '../../src/events/logger.ts';
import { metrics } from '../../src/events/metrics.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';

describe('HTTP server', () => {
  let server: BuiltServer;
  let base: string;
  let closed = 0;
  before(async () => {
    server = await buildServer(loadConfig({}, { port: 0 }), rootLogger(), [
      (ctx) => {
        ctx.readiness.wait('models', 'loading');
        ctx.shutdown.register('counter', () => closed++);
      },
    ]);
    const { host, port } = await server.listen();
    assert.equal(host, '127.0.0.1');
    base = `http://${host}:${port}`;
  });
  after(() => server.close());

  it('answers /healthz at once and /readyz only when every check is done', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const r1 = await fetch(`${base}/readyz`);
    assert.equal(r1.status, 503);
    assert.deepEqual((await r1.json()).pending, { models: 'loading' });
    server.readiness.done('models');
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('exports Prometheus metrics including the pipeline counters', async () => {
    metrics.framesIn.inc({ stream: 'test-stream' }, 3);
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    const text = await r.text();
    assert.match(text, /microemo_frames_in_total\{stream="test-stream"\} 3/);
    assert.match(text, /microemo_streams\{source="whip"\} 0/);
    assert.match(text, /# TYPE microemo_stage_latency_seconds histogram/);
  });

  it('runs registered closers once on close', async () => {
    await server.close();
    await server.close();
    assert.equal(closed, 1);
  });
});
