import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { rootLogger } from '../../src/events/logger.ts';
import type { MicroEmoEvent } from '../../src/events/schema.ts';
import type { MediaSource } from '../../src/ingest/mediaSource.ts';
import { analysisModule } from '../../src/server/analysisModule.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { modelsReady } from '../../src/server/modelsReady.ts';
import { whipRoutes } from '../../src/server/whipRoutes.ts';
import { chromiumAvailable, fakeDeviceFiles, launchChromium } from '../harness/chromium.ts';
import { espeakAvailable, makeFaceClip, makeSpeechWav } from '../harness/clips.ts';
import { WHIP_PUBLISH_PAGE as PAGE } from '../harness/whipPage.ts';

const skip =
  (!chromiumAvailable() && 'Debian chromium not installed') || (!espeakAvailable() && 'espeak-ng not installed');

describe('live path: Chromium publishes over WHIP → events', { skip }, () => {
  let server: BuiltServer;
  let base: string;
  let dir: string;
  let browser: Browser;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-chromium-'));
    const speech = makeSpeechWav(join(dir, 'speech'), {
      lead: 0.5,
      phrases: [
        ['Good to see you all here today.', 1.0],
        ['Let us get started.', 1.0],
      ],
    });
    const fake = fakeDeviceFiles(makeFaceClip(dir, speech.path, 6), dir, 6);
    server = await buildServer(loadConfig({}, { port: 0, dataDir: join(dir, 'data') }), rootLogger(), [
      modelsReady,
      analysisModule,
      whipRoutes,
      (ctx) => {
        ctx.app.get('/test/publish.html', async (_req, reply) => reply.type('text/html').send(PAGE));
      },
    ]);
    base = `http://127.0.0.1:${(await server.listen()).port}`;
    await server.readiness.whenDone('vision-workers');
    browser = await launchChromium(fake);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of [
    { name: 'default codecs', h264: false, stripCandidates: false },
    { name: 'H.264 forced, candidates stripped (OBS-like)', h264: true, stripCandidates: true },
  ]) {
    it(`publishes with ${mode.name}: frames at the source rate, continuous PCM, live face events, clean end`, async () => {
      const events: MicroEmoEvent[] = [];
      const off = server.bus.on((e) => events.push(e));
      const frames: number[] = [];
      let pcm = 0;
      let gaps = 0;
      let audioEnd = 0;
      let codec = '';
      server.sources.once('source', (src: MediaSource) => {
        codec = src.info.video?.codec ?? '';
        src.on('video', (f) => frames.push(f.t));
        src.on('audio', (c) => {
          if (audioEnd && Math.abs(c.t - audioEnd) > 0.001) gaps++;
          audioEnd = c.t + c.samples.length / 16000;
          pcm += c.samples.length;
        });
      });
      const page = await browser.newPage();
      try {
        await page.goto(`${base}/test/publish.html`);
        const location = await page.evaluate(
          ([url, opts]) =>
            (window as unknown as { publish: (u: string, o: object) => Promise<string> }).publish(url, opts),
          [`${base}/whip/call-room`, mode] as const,
        );
        assert.match(location, /\/whip\/call-room\//);
        await new Promise((r) => setTimeout(r, 7000));
        const status = await page.evaluate(() =>
          (window as unknown as { unpublish: () => Promise<number> }).unpublish(),
        );
        assert.equal(status, 200);
      } finally {
        await page.close();
      }
      await new Promise((r) => setTimeout(r, 500));
      off();
      if (mode.h264) assert.equal(codec, 'H264');
      assert.ok(frames.length > 90, `${frames.length} frames`);
      const later = frames.slice(Math.floor(frames.length / 3));
      const fps = (later.length - 1) / (later.at(-1)! - later[0]);
      assert.ok(Math.abs(fps - 30) / 30 < 0.05, `media-time frame rate ${fps.toFixed(2)}`);
      assert.ok(pcm / 16000 > 4, `${(pcm / 16000).toFixed(2)} s PCM`);
      assert.ok(gaps <= 1, `${gaps} gaps in the PCM`);
      const faces = events.filter((e) => e.type === 'face.frame' && e.faces.length === 1);
      assert.ok(faces.length > 20, `${faces.length} face.frame events with the face`);
      assert.ok(
        events.some((e) => e.type === 'utterance.start'),
        'speech found in the live audio',
      );
      const ended = events.find((e) => e.type === 'stream.ended');
      assert.equal(ended?.type === 'stream.ended' && ended.reason, 'deleted');
      assert.equal(spawnSync('pgrep', ['-f', 'ffmpeg.*-f ivf -i pipe:0']).stdout.toString().trim(), '');
    });
  }
});
