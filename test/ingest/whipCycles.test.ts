import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rootLogger } from '../../src/events/logger.ts';
import { createPublishPeer } from '../../src/ingest/peerFactory.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { whipRoutes } from '../../src/server/whipRoutes.ts';

const decoders = () =>
  spawnSync('pgrep', ['-P', String(process.pid), '-f', 'ffmpeg'])
    .stdout.toString()
    .trim()
    .split('\n')
    .filter(Boolean).length;

describe('WHIP publish/unpublish cycles', () => {
  let server: BuiltServer;
  let base: string;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-cycles-'));
    server = await buildServer(loadConfig({}, { port: 0, dataDir: dir, streamTimeoutS: 10 }), rootLogger(), [
      whipRoutes,
    ]);
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    // werift leaves timers of closed client peers behind that hold the event loop: leave once the report is out
    setTimeout(() => process.exit(), 2000).unref();
  });

  it('50 cycles (werift client on loopback: POST, ICE, DELETE) leave no decoder, session or growing heap', {
    timeout: 150_000,
  }, async () => {
    let connected = 0;
    let started = 0;
    let ended = 0;
    server.sources.on('source', (src) => {
      started++;
      src.once('end', () => ended++);
    });
    const cycle = async () => {
      const pc = createPublishPeer();
      pc.addTransceiver('video', { direction: 'sendonly' });
      pc.addTransceiver('audio', { direction: 'sendonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
        setTimeout(resolve, 2000);
      });
      const res = await fetch(`${base}/whip/cycles`, {
        method: 'POST',
        body: pc.localDescription?.sdp,
        headers: { 'content-type': 'application/sdp' },
      });
      assert.equal(res.status, 201, await res.clone().text());
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      await new Promise<void>((resolve) => {
        if (pc.connectionState === 'connected') return resolve();
        pc.connectionStateChange.subscribe((s) => {
          if (s === 'connected') {
            connected++;
            resolve();
          }
        });
        setTimeout(resolve, 3000);
      });
      const del = await fetch(`${base}${res.headers.get('location')}`, { method: 'DELETE' });
      assert.equal(del.status, 200);
      await pc.close();
    };
    for (let i = 0; i < 10; i++) await cycle(); // warm-up: code paths, wasm, sockets
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 40; i++) await cycle();
    await new Promise((r) => setTimeout(r, 500));
    global.gc?.();
    const growthMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    console.log(
      `50 cycles: ${connected} connected, ${started} started, ${ended} ended, heap +${growthMb.toFixed(1)} MB`,
    );
    assert.equal(started, 50);
    assert.equal(ended, 50);
    assert.ok(connected >= 45, `${connected} of 50 connected`);
    assert.equal(server.sources.size, 0, 'no live session');
    assert.equal(decoders(), 0, 'no ffmpeg left');
    assert.ok(growthMb < 30, `heap grew ${growthMb.toFixed(1)} MB over 40 cycles`);
  });
});
