// biome-ignore-all lint/suspicious/noExplicitAny: the page's functions are untyped globals of the bundled test script
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { CallError, joinCall } from '../../client/sdk/callClient.ts';
import { rootLogger } from '../../src/events/logger.ts';
import type { EndReason, MediaSource } from '../../src/ingest/mediaSource.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { callSignalling } from '../../src/server/callSignalling.ts';
import { loadConfig } from '../../src/server/config.ts';
import { chromiumAvailable, launchChromium } from '../harness/chromium.ts';
import { FFMPEG } from '../harness/clips.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

/** Page script: joins with the fake camera/mic, keeps remote tracks, reports their colour and audio stats. */
const PAGE_ENTRY = `
import { joinCall } from './callClient.ts';
const remote = new Map();
const left = [];
window.startCall = async (url, room, name) => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
  const call = await joinCall(url, { room, name, stream, on: {
    track: ({ participantId, track }) => {
      const r = remote.get(participantId) ?? {};
      r[track.kind] = track;
      remote.set(participantId, r);
    },
    'participant-left': (p) => left.push(p),
  } });
  window.call = call;
  return call.id;
};
window.remoteColour = async (id) => {
  const track = remote.get(id)?.video;
  if (!track) return null;
  const v = document.createElement('video');
  v.muted = true;
  v.autoplay = true;
  document.body.appendChild(v);
  v.srcObject = new MediaStream([track]);
  const ok = await Promise.race([
    v.play().then(() => new Promise((res) => v.requestVideoFrameCallback(() => res(true)))),
    new Promise((res) => setTimeout(() => res(false), 2000)),
  ]);
  if (!ok) { v.remove(); return null; }
  const c = document.createElement('canvas');
  c.width = 32; c.height = 24;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0, 32, 24);
  const d = g.getImageData(0, 0, 32, 24).data;
  let r = 0, gg = 0, b = 0;
  for (let i = 0; i < d.length; i += 4) { r += d[i]; gg += d[i + 1]; b += d[i + 2]; }
  const n = d.length / 4;
  const width = v.videoWidth;
  v.srcObject = null;
  v.remove();
  return { r: r / n, g: gg / n, b: b / n, width };
};
window.audioIn = async (id) => {
  const sub = window.call.subscriptions.get(id);
  if (!sub) return { packets: 0, bytes: 0 };
  let packets = 0, bytes = 0;
  (await sub.pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') { packets += s.packetsReceived; bytes += s.bytesReceived; }
  });
  return { packets, bytes };
};
window.leftEvents = () => left;
window.debug = async () => ({
  remote: [...remote.entries()].map(([k, v]) => [k, Object.keys(v)]),
  pub: window.call.publisher?.connectionState,
  subs: await Promise.all([...window.call.subscriptions.entries()].map(async ([k, v]) => {
    const st = [];
    (await v.pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp') st.push([s.kind, s.packetsReceived, s.framesDecoded, s.keyFramesDecoded, s.pliCount, s.nackCount]); });
    return [k, v.pc.connectionState, st];
  })),
});
window.leave = () => window.call.leave();
`;

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function callSocket(base: string, auth?: Record<string, unknown>): Promise<Socket> {
  const s = io(`${base}/call`, { transports: ['websocket'], reconnection: false, auth });
  await new Promise<void>((res, rej) => {
    s.once('connect', () => res());
    s.once('connect_error', rej);
  });
  return s;
}

describe('call signalling', () => {
  let server: BuiltServer;
  let base: string;
  let dir: string;
  const sources: MediaSource[] = [];
  const ended = new Map<string, EndReason>();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-call-'));
    server = await buildServer(
      loadConfig({}, { port: 0, dataDir: dir, maxSessionsPerRoom: 2, streamTimeoutS: 10 }),
      rootLogger(),
      [callSignalling],
    );
    server.sources.on('source', (s) => {
      sources.push(s);
      s.on('end', (reason) => ended.set(s.info.streamId, reason));
    });
    const bundle = await build({
      stdin: { contents: PAGE_ENTRY, resolveDir: join(PROJECT_ROOT, 'client/sdk'), loader: 'ts' },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]?.text ?? '';
    server.app.get('/call.js', (_req, reply) => reply.type('text/javascript').send(js));
    server.app.get('/call.html', (_req, reply) =>
      reply.type('text/html').send('<!doctype html><html><body><script src="/call.js"></script></body></html>'),
    );
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const socket = () => callSocket(base);

  it('answers bad messages with a clear error and keeps the socket usable', async () => {
    const s = await socket();
    try {
      const bad = await s.emitWithAck('join', { room: 'no spaces!', name: 'x' });
      assert.equal(bad.ok, false);
      assert.match(bad.error, /bad join message: room: room must be/);
      const noName = await s.emitWithAck('join', { room: 'r1' });
      assert.match(noName.error, /bad join message: name/);
      const early = await s.emitWithAck('publish', { sdp: 'v=0' });
      assert.deepEqual(early, { ok: false, error: 'join a room first' });
      // without an ack the failure arrives as an `error` event
      const evt = new Promise<{ event: string; error: string }>((res) => s.once('error', res));
      s.emit('answer', { subscriptionId: 42 });
      assert.deepEqual(await evt, {
        event: 'answer',
        error: 'bad answer message: subscriptionId: Invalid input: expected string, received number',
      });
      const joined = await s.emitWithAck('join', { room: 'r1', name: 'ok' });
      assert.equal(joined.ok, true);
      assert.deepEqual(joined.participants, []);
      const garbage = await s.emitWithAck('publish', { sdp: 'not an sdp' });
      assert.equal(garbage.ok, false);
      // a failed publish ends that participant only; the socket can join again
      const again = await s.emitWithAck('join', { room: 'r1', name: 'ok' });
      assert.equal(again.ok, true, JSON.stringify(again));
      const s2 = await socket();
      const s3 = await socket();
      try {
        assert.equal((await s2.emitWithAck('join', { room: 'r1', name: 'two' })).ok, true);
        const full = await s3.emitWithAck('join', { room: 'r1', name: 'three' });
        assert.deepEqual(full, { ok: false, error: 'room r1 is full (2 participants)' });
      } finally {
        s2.close();
        s3.close();
      }
    } finally {
      s.close();
    }
  });

  it('two Chromium participants receive each other’s video and audio; one leaves, the other goes on', {
    skip: chromiumAvailable() ? false : 'no /usr/bin/chromium',
    timeout: 90_000,
  }, async () => {
    const colours = { red: [220, 30, 30], blue: [30, 30, 220] } as const;
    const browsers: Browser[] = [];
    try {
      const pages: Page[] = [];
      for (const name of ['red', 'blue'] as const) {
        const [r, g, b] = colours[name];
        const hex = `0x${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
        const y4m = join(dir, `${name}.y4m`);
        const wav = join(dir, `${name}.wav`);
        execFileSync(FFMPEG, [
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          `color=c=${hex}:s=320x240:r=30`,
          '-t',
          '2',
          '-pix_fmt',
          'yuv420p',
          y4m,
        ]);
        execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', '2', wav]);
        const browser = await launchChromium({ y4m, wav });
        browsers.push(browser);
        const page = await browser.newPage();
        await page.goto(`${base}/call.html`);
        pages.push(page);
      }
      const [red, blue] = pages as [Page, Page];
      const redId = await red.evaluate(([u]) => (window as any).startCall(u, 'call1', 'red'), [base]);
      const blueId = await blue.evaluate(([u]) => (window as any).startCall(u, 'call1', 'blue'), [base]);
      assert.match(redId, /^[0-9a-f]{8}$/);

      // each sees the other's colour
      const seen = async (page: Page, id: string) =>
        until(`video from ${id}`, async () => {
          const c = await page.evaluate((i) => (window as any).remoteColour(i), id);
          return c && c.width > 0 ? c : null;
        });
      console.log('debug red', JSON.stringify(await red.evaluate(() => (window as any).debug())));
      console.log('debug blue', JSON.stringify(await blue.evaluate(() => (window as any).debug())));
      const onBlue = await seen(blue, redId);
      const onRed = await seen(red, blueId);
      console.log('colour received by blue from red', onBlue, 'by red from blue', onRed);
      assert.ok(onBlue.r > 150 && onBlue.b < 100, `blue sees red: ${JSON.stringify(onBlue)}`);
      assert.ok(onRed.b > 150 && onRed.r < 100, `red sees blue: ${JSON.stringify(onRed)}`);

      // audio arrives both ways
      for (const [page, id] of [
        [red, blueId],
        [blue, redId],
      ] as const) {
        const a1 = await until('audio', async () => {
          const a = await page.evaluate((i) => (window as any).audioIn(i), id);
          return a.packets > 0 ? a : null;
        });
        await new Promise((r) => setTimeout(r, 1000));
        const a2 = await page.evaluate((i) => (window as any).audioIn(i), id);
        console.log('audio from', id, a1, '→', a2);
        assert.ok(a2.bytes > a1.bytes, 'audio bytes grow');
      }

      // both are analysed as call streams with decoded frames
      assert.deepEqual(sources.map((s) => s.info.streamId).sort(), [`call1-${blueId}`, `call1-${redId}`].sort());
      assert.ok(sources.every((s) => s.info.kind === 'call' && s.info.room === 'call1'));
      const blueSource = sources.find((s) => s.info.streamId === `call1-${blueId}`) as MediaSource;
      await until(
        'analysed blue frames',
        async () =>
          new Promise<boolean>((res) => {
            const t = setTimeout(() => res(false), 1000);
            blueSource.once('video', (f) => {
              clearTimeout(t);
              res(f.width > 0);
            });
          }),
      );

      // red leaves: blue hears of it, red's stream ends 'left', blue's goes on
      await red.evaluate(() => (window as any).leave());
      const leftOnBlue = await until(
        'participant-left',
        async () => {
          const l = await blue.evaluate(() => (window as any).leftEvents());
          return l.length ? l : null;
        },
        5000,
      );
      assert.deepEqual(leftOnBlue, [{ id: redId, name: 'red', reason: 'left' }]);
      await until('red ended', async () => ended.get(`call1-${redId}`), 5000);
      assert.equal(ended.get(`call1-${redId}`), 'left');
      assert.equal(ended.has(`call1-${blueId}`), false);
      let framesAfter = 0;
      const count = () => framesAfter++;
      blueSource.on('video', count);
      await new Promise((r) => setTimeout(r, 1500));
      blueSource.off('video', count);
      console.log('blue frames analysed in 1.5 s after red left', framesAfter);
      assert.ok(framesAfter > 10, `blue's stream continues (${framesAfter} frames)`);

      // blue's browser vanishing ends its stream with 'disconnected'
      await blue.close();
      await until('blue ended', async () => ended.get(`call1-${blueId}`), 5000);
      assert.equal(ended.get(`call1-${blueId}`), 'disconnected');
    } finally {
      await Promise.all(browsers.map((b) => b.close()));
    }
  });
});

describe('call room tokens (the per-room tokens of WHIP)', () => {
  let server: BuiltServer;
  let base: string;
  let dir: string;
  const logLines: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-callauth-'));
    const log = pino({ level: 'info' }, { write: (l: string) => void logLines.push(l) });
    server = await buildServer(
      loadConfig({}, { port: 0, dataDir: dir, whipTokens: 'secure=s3cret,other=0ther' }),
      log,
      [callSignalling],
    );
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const socket = (auth?: Record<string, unknown>) => callSocket(base, auth);

  it('refuses a join without the room’s token (401) or with another token (403); admits the right one', async () => {
    const none = await socket();
    const other = await socket({ token: '0ther' });
    const junk = await socket({ token: 42 });
    const right = await socket({ token: 's3cret' });
    try {
      assert.deepEqual(await none.emitWithAck('join', { room: 'secure', name: 'a' }), {
        ok: false,
        error: 'room secure needs a token (auth: { token })',
        status: 401,
        reason: 'missing-token',
      });
      assert.deepEqual(await other.emitWithAck('join', { room: 'secure', name: 'b' }), {
        ok: false,
        error: 'wrong token for room secure',
        status: 403,
        reason: 'wrong-token',
      });
      // a token that is not a string counts as none
      assert.equal((await junk.emitWithAck('join', { room: 'secure', name: 'c' })).status, 401);
      // refusals leave the socket usable: the other token's own room admits it, a room without a token is open
      assert.equal((await other.emitWithAck('join', { room: 'other', name: 'b' })).ok, true);
      assert.equal((await none.emitWithAck('join', { room: 'open', name: 'a' })).ok, true);
      const joined = await right.emitWithAck('join', { room: 'secure', name: 'd' });
      assert.equal(joined.ok, true, JSON.stringify(joined));
      assert.deepEqual(joined.participants, []);
    } finally {
      for (const s of [none, other, junk, right]) s.close();
    }
  });

  it('the call client passes its token and rejects with the status and reason', async () => {
    const ok = await joinCall(base, { room: 'secure', name: 'sdk', token: 's3cret', socket: { reconnection: false } });
    try {
      assert.match(ok.id, /^[0-9a-f]{8}$/);
    } finally {
      await ok.leave();
    }
    for (const [token, status, reason] of [
      [undefined, 401, 'missing-token'],
      ['nope', 403, 'wrong-token'],
    ] as const) {
      const err = await joinCall(base, { room: 'secure', name: 'sdk', token, socket: { reconnection: false } }).then(
        () => assert.fail('joined without the right token'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CallError, String(err));
      assert.equal(err.status, status);
      assert.equal(err.reason, reason);
    }
  });

  it('warns at start only when no room has a token', async () => {
    const warning = /no whipTokens configured: anyone who reaches the server can join any call room/;
    assert.ok(!logLines.some((l) => warning.test(l)));
    const lines: string[] = [];
    const open = await buildServer(
      loadConfig({}, { port: 0, dataDir: dir }),
      pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }),
      [callSignalling],
    );
    await open.close();
    const hit = lines.map((l) => JSON.parse(l)).find((l) => warning.test(l.msg));
    assert.ok(hit, lines.join(''));
    assert.equal(hit.level, 40);
  });
});
