import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type MicroEmoEvent, SubscribeError } from '../../client/sdk/index.ts';
import { rootLogger } from '../../src/events/logger.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { eventsApi } from '../../src/server/eventsApi.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TypeScript client and microemo subscribe', () => {
  let server: BuiltServer;
  let url: string;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'microemo-sdk-'));
    server = await buildServer(loadConfig({}, { port: 0, dataDir, eventTokens: 'tok=lab' }), rootLogger(), [
      eventsApi(),
    ]);
    url = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives typed handlers and resumes a stream after a reconnect without gaps or repeats', async () => {
    const client = connect(url, { token: 'tok', socket: { transports: ['websocket'], reconnectionDelay: 50 } });
    const starts: string[] = [];
    const all: number[] = [];
    client.on('utterance.start', (e) => starts.push(e.utteranceId));
    client.on('*', (e) => all.push(e.seq));
    const pub = server.bus.stream('sdk-1', 'lab');
    pub.publish('stream.started', { t: 0, source: 'file', video: null, audio: null });
    await client.subscribe({ streamId: 'sdk-1', sinceSeq: 0 });
    await assert.rejects(
      client.subscribe({ room: 'other' }),
      (e: unknown) => e instanceof SubscribeError && /forbidden/.test(e.message),
    );
    for (let i = 0; i < 5; i++) {
      pub.publish('utterance.start', { t: i, utteranceId: `u${i}`, continuation: false, trackId: null });
      await wait(5);
      if (i === 2) client.socket.io.engine.close();
    }
    await wait(400);
    assert.deepEqual(starts, ['u0', 'u1', 'u2', 'u3', 'u4']);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5]);
    assert.equal(client.lastSeq.get('sdk-1'), 5);
    client.close();
  });

  it('microemo subscribe prints JSONL, and exits 1 with the reason on a bad token', async () => {
    const child = spawn(
      process.execPath,
      ['bin/microemo.mjs', 'subscribe', '--url', url, '--room', 'lab', '--token', 'tok', '--json', '--timeout', '3'],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => {
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
        if (/subscribed to room lab/.test(err)) resolve();
      });
    });
    const pub = server.bus.stream('cli-1', 'lab');
    pub.publish('stream.started', { t: 0, source: 'whip', video: null, audio: null });
    pub.publish('stream.ended', { t: 1, reason: 'deleted' });
    server.bus
      .stream('cli-x', 'elsewhere')
      .publish('stream.started', { t: 0, source: 'whip', video: null, audio: null });
    assert.equal(await new Promise((r) => child.on('exit', r)), 0);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MicroEmoEvent);
    assert.deepEqual(
      events.map((e) => [e.streamId, e.type]),
      [
        ['cli-1', 'stream.started'],
        ['cli-1', 'stream.ended'],
      ],
    );
    const bad = spawn(
      process.execPath,
      ['bin/microemo.mjs', 'subscribe', '--url', url, '--room', 'lab', '--token', 'wrong'],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    bad.stderr.on('data', (d) => (err += d));
    assert.equal(await new Promise((r) => bad.on('exit', r)), 1);
    assert.match(err, /microemo: cannot connect to .*: unauthorized: unknown token/);
  });
});
