import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rootLogger } from '../../src/events/logger.ts';
import { resolveFfmpeg } from '../../src/ingest/ffmpegPath.ts';
import type { MediaSource } from '../../src/ingest/mediaSource.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { whipRoutes } from '../../src/server/whipRoutes.ts';
import { publishReference } from '../tools/referencePublisher.ts';

/** Whole seconds at which a white flash and a 1 kHz beep, both 100 ms, start together. */
const SECONDS = 8;
const on = (t: string) =>
  Array.from({ length: SECONDS - 1 }, (_, i) => `between(${t},${i + 1},${i + 1.099})`).join('+');

describe('WHIP A/V alignment', () => {
  let server: BuiltServer;
  let base: string;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-avsync-'));
    const ffmpeg = resolveFfmpeg();
    const run = (args: string[]) => {
      const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
      assert.equal(r.status, 0, r.stderr.toString());
    };
    run([
      ...[
        '-f',
        'lavfi',
        '-i',
        `color=c=black:s=640x480:r=30:d=${SECONDS},geq=lum='if(${on('T')},235,16)':cb=128:cr=128`,
      ],
      ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-b:v', '1M', join(dir, 'v.ivf')],
    ]);
    run([
      ...['-f', 'lavfi', '-i', `aevalsrc='if(${on('t')},0.5*sin(2*PI*1000*t),0)':s=48000:d=${SECONDS}`],
      ...['-ac', '2', '-c:a', 'libopus', '-frame_duration', '20', '-b:a', '96k', join(dir, 'a.ogg')],
    ]);
    server = await buildServer(loadConfig({}, { port: 0, dataDir: dir, streamTimeoutS: 10 }), rootLogger(), [
      whipRoutes,
    ]);
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    // werift leaves timers of closed client peers behind that hold the event loop
    setTimeout(() => process.exit(), 2000).unref();
  });

  it('decoded flash and beep times agree within 20 ms', { timeout: 60_000 }, async () => {
    const flashes: number[] = [];
    const beeps: number[] = [];
    let bright = false;
    let loud = false;
    let quietSamples = 0;
    server.sources.once('source', (src: MediaSource) => {
      src.on('video', (f) => {
        let sum = 0;
        for (let i = 0; i < f.rgb.length; i += 3 * 97) sum += f.rgb[i] as number;
        const on = sum / (f.rgb.length / (3 * 97)) > 128;
        if (on && !bright) flashes.push(f.t);
        bright = on;
      });
      src.on('audio', (c) => {
        for (let i = 0; i < c.samples.length; i++) {
          // the beep's sine starts at phase 0 with amplitude 0.5: it crosses 0.1 within 0.04 ms of its onset
          const hot = Math.abs(c.samples[i] as number) > 0.1;
          if (hot && !loud) beeps.push(c.t + i / 16000);
          if (hot) {
            loud = true;
            quietSamples = 0;
          } else if (loud && ++quietSamples > 160) loud = false; // 10 ms of quiet ends a beep
        }
      });
    });
    const pub = await publishReference(`${base}/whip/sync`, join(dir, 'v.ivf'), join(dir, 'a.ogg'));
    try {
      await pub.done;
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await pub.close();
    }
    console.log(`flashes ${flashes.map((t) => t.toFixed(4))}; beeps ${beeps.map((t) => t.toFixed(4))}`);
    const offsets = flashes.map((f) => {
      const b = beeps.reduce((best, x) => (Math.abs(x - f) < Math.abs(best - f) ? x : best));
      return { at: f, ms: (b - f) * 1000 };
    });
    console.log(`A/V offsets (beep − flash, ms): ${offsets.map((o) => o.ms.toFixed(1)).join(', ')}`);
    // flashes are one second apart in media time, as sent
    for (let i = 1; i < flashes.length; i++) {
      const gap = (flashes[i] as number) - (flashes[i - 1] as number);
      assert.ok(Math.abs(gap - Math.round(gap)) < 0.002, `flash spacing ${gap.toFixed(4)} s`);
    }
    // The decoder may miss the first flash while it waits for a keyframe, and until both tracks have two sender
    // reports (werift sends one every 0.5–1.5 s) audio is placed by arrival: judge the flashes from 4 s on.
    const judged = offsets.slice(-(SECONDS - 4));
    assert.equal(judged.length, SECONDS - 4, `flashes at ${flashes.map((t) => t.toFixed(3))}`);
    for (const o of judged) assert.ok(Math.abs(o.ms) <= 20, `beep − flash ${o.ms.toFixed(1)} ms`);
  });
});
