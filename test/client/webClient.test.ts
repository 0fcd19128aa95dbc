// biome-ignore-all lint/suspicious/noExplicitAny: page globals (the dashboard's console handle) are untyped here
/**
 * The web client end to end: the server (real models, analysis, call SFU, event API with a token, built pages),
 * two headless Chromium participants on the call page with a fake camera/mic (a real face photo clip with espeak
 * speech), and the dashboard following one of them live. Screenshots go to artifacts/webClient/ (gitignored).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { rootLogger } from '../../src/events/logger.ts';
import type { AuIntensities, MicroEmoEvent } from '../../src/events/schema.ts';
import { analysisModule } from '../../src/server/analysisModule.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { callSignalling } from '../../src/server/callSignalling.ts';
import { loadConfig } from '../../src/server/config.ts';
import { eventsApi } from '../../src/server/eventsApi.ts';
import { modelsReady } from '../../src/server/modelsReady.ts';
import { webClient } from '../../src/server/webClient.ts';
import { chromiumAvailable, fakeDeviceFiles, launchChromium } from '../harness/chromium.ts';
import { espeakAvailable, makeFaceClip, makeSpeechWav } from '../harness/clips.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

const ARTIFACTS = join(PROJECT_ROOT, 'artifacts', 'webClient');
const TOKEN = 'reader-e2e';
const ROOM = 'e2e';

const skip =
  (!chromiumAvailable() && 'Debian chromium (/usr/bin/chromium) not installed') ||
  (!espeakAvailable() && 'espeak-ng not installed (the fake microphone speaks through it)');

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What a call page shows per tile: the video's decoded size and mean colour, and the overlay state. */
function tiles(page: Page) {
  return page.evaluate(() =>
    (Array.from(document.querySelectorAll('.tile')) as HTMLElement[]).map((t) => {
      const v = t.querySelector('video') as HTMLVideoElement;
      let luma = 0;
      if (v.videoWidth > 0) {
        const c = document.createElement('canvas');
        c.width = 32;
        c.height = 24;
        const g = c.getContext('2d') as CanvasRenderingContext2D;
        g.drawImage(v, 0, 0, 32, 24);
        const d = g.getImageData(0, 0, 32, 24).data;
        for (let i = 0; i < d.length; i += 4) luma += (d[i] + d[i + 1] + d[i + 2]) / 3;
        luma /= d.length / 4;
      }
      const box = (Array.from(t.querySelectorAll('.face-box')) as HTMLElement[]).find((b) => !b.hidden);
      const tileRect = t.getBoundingClientRect();
      const boxRect = box?.getBoundingClientRect();
      return {
        streamId: t.dataset.streamId ?? '',
        local: t.dataset.local === 'true',
        videoWidth: v.videoWidth,
        luma,
        faceFrames: Number(t.dataset.faceFrames),
        micro: Number(t.dataset.micro),
        utterance: t.dataset.utterance,
        emotion: t.dataset.emotion,
        flash: t.classList.contains('flash'),
        hud: t.querySelector('.hud .emotion')?.textContent ?? '',
        box: boxRect
          ? {
              x: (boxRect.x - tileRect.x) / tileRect.width,
              y: (boxRect.y - tileRect.y) / tileRect.height,
              w: boxRect.width / tileRect.width,
              h: boxRect.height / tileRect.height,
              label: box?.textContent ?? '',
            }
          : undefined,
      };
    }),
  );
}

function assertPng(path: string): void {
  const png = readFileSync(path);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${path} is a PNG`);
  assert.ok(statSync(path).size > 20_000, `${path} holds a real picture (${statSync(path).size} bytes)`);
}

describe('web client in Chromium: call page with live overlays, dashboard, OBS page', { skip }, () => {
  let server: BuiltServer;
  let base: string;
  let dir: string;
  const browsers: Browser[] = [];
  const events: MicroEmoEvent[] = [];
  /** ana's call stream, ended when she leaves; the dashboard test shows its recording */
  let anaStream = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-web-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    const speech = makeSpeechWav(join(dir, 'speech'), {
      lead: 0.5,
      phrases: [
        ['I am really happy to see you all today.', 1.2],
        ['This is going very well.', 1.0],
      ],
    });
    const fake = fakeDeviceFiles(makeFaceClip(dir, speech.path, 7), dir, 7);
    server = await buildServer(
      loadConfig({}, { host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), eventTokens: { [TOKEN]: [ROOM] } }),
      rootLogger(),
      // a private build directory: the test checks what this source tree builds, whatever client/dist holds
      [modelsReady, eventsApi(), analysisModule, callSignalling, webClient({ outDir: join(dir, 'web') })],
    );
    server.bus.on((e) => events.push(e));
    base = `http://127.0.0.1:${(await server.listen()).port}`;
    await server.readiness.whenDone('vision-workers');
    for (let i = 0; i < 2; i++) browsers.push(await launchChromium(fake));
  });
  after(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('OBS page shows the WHIP URL and only the token the user types', async () => {
    const page = await (browsers[0] as Browser).newPage();
    try {
      await page.goto(`${base}/obs/?room=studio`);
      assert.equal(await page.inputValue('#whip-url'), `${base}/whip/studio`);
      assert.equal(await page.inputValue('#bearer'), '', 'no token until the user types one');
      await page.fill('#room', 'lab-2');
      await page.fill('#token', 'my-secret');
      assert.equal(await page.inputValue('#whip-url'), `${base}/whip/lab-2`);
      assert.equal(await page.inputValue('#bearer'), 'my-secret');
      // the page never carries server configuration
      const html = await (await fetch(`${base}/obs/`)).text();
      assert.doesNotMatch(html, new RegExp(TOKEN));
    } finally {
      await page.close();
    }
  });

  it('two participants see each other with overlays from the live pipeline', {
    timeout: 180_000,
  }, async () => {
    const pages: Page[] = [];
    for (const [i, name] of ['ana', 'ben'].entries()) {
      const page = await (browsers[i] as Browser).newPage({ viewport: { width: 900, height: 520 } });
      page.on('pageerror', (err) => console.log(`${name} page error:`, err.message));
      await page.goto(`${base}/call/?room=${ROOM}&name=${name}`);
      await page.fill('#token', TOKEN);
      await page.click('#join-button');
      await until(`${name} joined`, async () => /^in e2e as/.test((await page.textContent('#status')) ?? ''), 20_000);
      pages.push(page);
    }
    const [ana, ben] = pages as [Page, Page];

    // each sees two tiles, the other's video decoded and not black (the face photo)
    for (const [page, who] of [
      [ana, 'ana'],
      [ben, 'ben'],
    ] as const) {
      const remote = await until(`${who} sees the other participant's video`, async () => {
        const ts = await tiles(page);
        const r = ts.find((t) => !t.local);
        return ts.length === 2 && r && r.videoWidth > 0 && r.luma > 20 ? r : null;
      });
      assert.equal(remote.videoWidth, 640);
      assert.match(remote.streamId, /^e2e-[0-9a-f]{8}$/);
    }
    const ids = (await tiles(ana)).map((t) => t.streamId).sort();
    assert.deepEqual((await tiles(ben)).map((t) => t.streamId).sort(), ids, 'both pages show the same two streams');

    // overlays: face boxes from real face.frame events, over the face (the photo's face fills the middle)
    const withBox = await until(
      'face boxes on every tile of ana',
      async () => {
        const ts = await tiles(ana);
        return ts.every((t) => t.faceFrames > 0 && t.box) ? ts : null;
      },
      60_000,
    );
    for (const t of withBox) {
      const b = t.box as NonNullable<typeof t.box>;
      console.log('face box on ana', t.streamId, JSON.stringify(b), t.hud);
      assert.ok(b.w > 0.1 && b.w < 0.9 && b.h > 0.1 && b.h < 0.95, `box size ${JSON.stringify(b)}`);
      assert.ok(
        b.x > 0 && b.x + b.w < 1 && b.y > -0.05 && b.y + b.h < 1,
        `box inside the picture ${JSON.stringify(b)}`,
      );
      assert.match(b.label, /^#\d+ (neutral|happy|sad|angry|fearful|disgusted|surprised) \d+%$/);
    }
    const realFaces = events.filter((e) => e.type === 'face.frame' && ids.includes(e.streamId) && e.faces.length);
    assert.ok(realFaces.length > 0, 'the boxes come from the pipeline’s face.frame events');

    // speaking indicator from the VAD's utterance events, then an utterance emotion in the HUD
    await until(
      'utterance indicator on ben',
      async () => (await tiles(ben)).some((t) => t.utterance !== undefined),
      60_000,
    );
    assert.ok(events.some((e) => e.type === 'utterance.start' && ids.includes(e.streamId)));
    const emotional = await until(
      'an utterance emotion on ana',
      async () => (await tiles(ana)).find((t) => t.emotion),
      60_000,
    );
    const emotion = events.find(
      (e): e is Extract<MicroEmoEvent, { type: 'emotion' }> =>
        e.type === 'emotion' && e.streamId === emotional.streamId,
    );
    assert.ok(emotion && emotional.hud.startsWith(emotion.label), `HUD "${emotional.hud}"`);

    // A micro-expression flash. The synthetic face clip (a still photo, gently moved) gives the spotter nothing to
    // find, so one schema-valid event is delivered on the bus for ben's stream. Its seq is far ahead of the
    // pipeline's so that the pages' seq de-duplication cannot drop it; it comes last for that stream, since the
    // pages then drop the pipeline's own (lower-seq) events of it.
    const benStream = (await tiles(ben)).find((t) => t.local)?.streamId as string;
    const ofBen = events.filter((e) => e.streamId === benStream);
    const lastT = Math.max(...ofBen.map((e) => e.t));
    server.bus.deliver({
      v: 1,
      type: 'microexpression',
      streamId: benStream,
      room: ROOM,
      seq: Math.max(...ofBen.map((e) => e.seq)) + 100_000,
      t: lastT,
      wall: Date.now(),
      trackId: 0,
      onset: Math.max(0, lastT - 0.3),
      apex: Math.max(0, lastT - 0.2),
      offset: lastT,
      durationMs: 300,
      kind: 'micro',
      regions: ['brows'],
      aus: ['AU1', 'AU2'],
      intensity: 0.6,
      expressionAtApex: 'surprised',
    });
    for (const page of [ana, ben]) {
      // the flash itself lasts under a second; the counter and the note stay
      await until('micro-expression drawn', async () =>
        (await tiles(page)).find((t) => t.streamId === benStream && t.micro === 1),
      );
      const note = await page.textContent(`.tile[data-stream-id="${benStream}"] .micro-note`);
      assert.equal(note, 'micro-expression: surprised (AU1+AU2)');
    }

    for (const [file, page] of Object.entries({ 'call-ana.png': ana, 'call-ben.png': ben })) {
      const path = join(ARTIFACTS, file);
      await page.screenshot({ path, fullPage: true });
      assertPng(path);
    }
    anaStream = (await tiles(ana)).find((t) => t.local)?.streamId as string;
    await ana.click('#leave');
    await until('ben sees ana leave', async () => (await tiles(ben)).length === 1, 10_000);
    await until('ana’s stream ended', async () =>
      events.some((e) => e.type === 'stream.ended' && e.streamId === anaStream),
    );
  });

  it('dashboard: refused without a token; a recording loads over REST; a live stream’s charts grow', {
    timeout: 120_000,
  }, async () => {
    assert.ok(anaStream, 'the call test recorded ana’s stream');
    const dash = await (browsers[0] as Browser).newPage({ viewport: { width: 1200, height: 900 } });
    dash.on('pageerror', (err) => console.log('dashboard page error:', err.message));
    const charts = () =>
      dash.evaluate(() => {
        const c = (window as any).microemo.charts;
        return {
          probs: c.probs.data.datasets.map((d: { data: unknown[] }) => d.data.length) as number[],
          va: c.va.data.datasets[0].data.length as number,
          vaUtterance: c.va.data.datasets[2].data.length as number,
          utterances: c.timeline.data.datasets[0].data.length as number,
          micro: c.timeline.data.datasets[1].data.length as number,
          shown: (window as any).microemo.shown() as { streamId: string; live: boolean; events: number },
          explanations: document.querySelectorAll('#explanations li').length,
        };
      });
    const pick = async (streamId: string) => {
      await dash.click('#refresh');
      await until(
        `${streamId} listed`,
        async () => (await dash.locator(`#stream option[value="${streamId}"]`).count()) > 0,
      );
      await dash.selectOption('#stream', streamId);
      await dash.click('#pick button[type="submit"]');
    };
    try {
      await dash.goto(`${base}/dashboard/`);
      await until('refusal without a token', async () =>
        /missing bearer token/.test((await dash.textContent('#status')) ?? ''),
      );
      await dash.fill('#token', TOKEN);

      // ana's recording (real pipeline events), loaded over REST: one chart point per recorded face.frame
      await pick(anaStream);
      const recorded = events.filter((e) => e.streamId === anaStream);
      const faceFrames = recorded.filter((e) => e.type === 'face.frame' && e.faces.length).length;
      const rec = await until('recording drawn', async () => {
        const c = await charts();
        return c.shown?.streamId === anaStream && c.shown.events === recorded.length ? c : null;
      });
      assert.equal(rec.shown.live, false);
      assert.deepEqual(rec.probs, Array(7).fill(faceFrames));
      assert.equal(rec.va, faceFrames);
      assert.equal(rec.utterances, recorded.filter((e) => e.type === 'utterance.end').length);
      console.log('recorded stream drawn', JSON.stringify(rec));

      // A live stream: published here at the pipeline's cadence (face.frame 10 Hz, an utterance with its final
      // emotion every 2 s) so that the charts' growth does not hang on how much CPU the analysis gets right now.
      const feed = server.bus.stream(`${ROOM}-feed`, ROOM);
      feed.publish('stream.started', {
        t: 0,
        source: 'whip',
        video: { codec: 'H264', width: 640, height: 480 },
        audio: null,
      });
      const probsAt = (k: number) => {
        const happy = 0.5 + 0.4 * Math.sin(k / 10);
        const rest = (1 - happy) / 6;
        return { neutral: rest, happy, sad: rest, angry: rest, fearful: rest, disgusted: rest, surprised: rest };
      };
      let k = 0;
      const tick = () => {
        k++;
        const t = k / 10;
        const expression = probsAt(k);
        const face = {
          trackId: 0,
          box: { x: 200, y: 100, w: 200, h: 240 },
          score: 0.95,
          headPose: { yaw: 0, pitch: 0, roll: 0 },
          expression,
          au: Object.fromEntries(
            [
              'AU1',
              'AU2',
              'AU4',
              'AU5',
              'AU6',
              'AU7',
              'AU9',
              'AU12',
              'AU15',
              'AU17',
              'AU20',
              'AU23',
              'AU25',
              'AU26',
              'AU45',
            ].map((a) => [a, 0.1]),
          ) as AuIntensities,
          valence: Math.round((expression.happy - 0.3) * 1000) / 1000,
          arousal: 0.2,
        };
        feed.publish('face.frame', { t, faces: [face] });
        if (k % 20 === 5) feed.publish('utterance.start', { t, utteranceId: `u${k}`, continuation: false, trackId: 0 });
        if (k % 20 === 15) {
          const start = t - 1;
          feed.publish('utterance.end', {
            t,
            utteranceId: `u${k - 10}`,
            start,
            end: t,
            continuation: false,
            trackId: 0,
          });
          const probs = { ...probsAt(k), contempt: 0 };
          feed.publish('emotion', {
            t,
            utteranceId: `u${k - 10}`,
            start,
            end: t,
            final: true,
            trackId: 0,
            label: 'happy',
            probs,
            valence: 0.4,
            arousal: 0.3,
            confidence: 0.8,
            descriptors: [{ word: 'cheerful', score: 0.7 }],
            cues: { visual: ['smile'], acoustic: [] },
            explanation: `Utterance ${k}: a steady smile while speaking.`,
            context: { label: 'happy', probs, valence: 0.3, arousal: 0.2 },
          });
        }
      };
      for (let i = 0; i < 30; i++) tick(); // what was published before the dashboard subscribes: the replay
      const timer = setInterval(tick, 100);
      try {
        await pick(`${ROOM}-feed`);
        const first = await until('live charts filled from the replay', async () => {
          const c = await charts();
          return c.shown?.streamId === `${ROOM}-feed` && c.probs[0] >= 30 ? c : null;
        });
        assert.equal(first.shown.live, true);
        const later = await until('live charts growing', async () => {
          const c = await charts();
          return c.probs[0] >= first.probs[0] + 20 && c.utterances >= 2 ? c : null;
        });
        console.log('live dataset lengths', JSON.stringify(first), '→', JSON.stringify(later));
        assert.equal(new Set(later.probs).size, 1, 'one point per class per face.frame');
        // replay then live, each face.frame exactly once: the x values step by 0.1 s without gap or repeat
        const xs = await dash.evaluate(() =>
          (window as any).microemo.charts.probs.data.datasets[0].data.map((p: { x: number }) => p.x),
        );
        const steps = new Set(xs.slice(1).map((x: number, i: number) => Math.round((x - xs[i]) * 10)));
        assert.deepEqual([...steps], [1], `face.frame times ${xs.slice(0, 5)}…`);
        assert.equal(xs[0], 0.1);
        assert.ok(later.vaUtterance >= 2 && later.explanations >= 2, 'utterance emotions plotted and explained');
        assert.match((await dash.textContent('#explanations li')) ?? '', /happy 80% — cheerful.*a steady smile/);
      } finally {
        clearInterval(timer);
      }
      const path = join(ARTIFACTS, 'dashboard.png');
      await dash.screenshot({ path, fullPage: true });
      assertPng(path);
    } finally {
      await dash.close();
    }
  });
});
