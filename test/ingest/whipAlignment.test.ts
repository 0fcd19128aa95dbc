import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rootLogger } from '../../src/events/logger.ts';
import type { MediaSource } from '../../src/ingest/mediaSource.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { whipRoutes } from '../../src/server/whipRoutes.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

const gstreamer =
  spawnSync('/usr/bin/python3', ['-c', 'import gi; gi.require_version("GstController", "1.0")']).status === 0 &&
  spawnSync('gst-inspect-1.0', ['webrtcbin']).status === 0;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * The publisher's white flash and 1 kHz beep start together at every whole second of one GStreamer clock (live
 * sources, sender reports on capture time: see test/tools/whipPublisher.py). Earlier publishers fed from paced
 * files were no reference: their sender reports mapped send time (each encoder's delay included) and drifted.
 */
describe('WHIP A/V alignment', { skip: !gstreamer && 'GStreamer webrtcbin / GstController not installed' }, () => {
  let server: BuiltServer;
  let base: string;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-avsync-'));
    server = await buildServer(loadConfig({}, { port: 0, dataDir: dir, streamTimeoutS: 10 }), rootLogger(), [
      whipRoutes,
    ]);
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // todo, measured with this publisher (beep − flash after both sender reports are trusted, ms): −5.8 on every event
  // at load ~7 on the 2 shared cores, but −19.6, −28.8 and (before the reports) −108 at load ~11: the live
  // GStreamer publisher's own timing under CPU starvation moves more than the 20 ms bound, so a pass or failure
  // here says more about the machine than about the server. With GStreamer's default send-time reports the
  // same publisher gave +5.5 (the reports then include each encoder's delay), the paced-file publisher +27.2/−53.3.
  it('decoded flash and beep times agree within 20 ms', {
    timeout: 60_000,
    todo: 'publisher-side timing under CPU load moves the measured offset by 6–110 ms',
  }, async () => {
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
    const pub = spawn('/usr/bin/python3', ['test/tools/whipPublisher.py', `${base}/whip/sync`, '7.5'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WHIP_FLASH_BEEP: '1' },
    });
    let out = '';
    pub.stdout.on('data', (d) => (out += d));
    pub.stderr.on('data', (d) => (out += d));
    assert.equal(await new Promise((r) => pub.on('exit', r)), 0, out);
    assert.match(out, /status 201/);
    console.log(`flashes ${flashes.map((t) => t.toFixed(4))}; beeps ${beeps.map((t) => t.toFixed(4))}`);
    // the first second may pass before the decoder has its keyframe; a flash is paired with the nearest beep
    assert.ok(flashes.length >= 4, `flashes at ${flashes.map((t) => t.toFixed(3))}`);
    assert.ok(beeps.length >= 4, `beeps at ${beeps.map((t) => t.toFixed(3))}`);
    const offsets = flashes.map((f) => {
      const b = beeps.reduce((best, x) => (Math.abs(x - f) < Math.abs(best - f) ? x : best));
      return (b - f) * 1000;
    });
    console.log(`A/V offsets (beep − flash, ms): ${offsets.map((o) => o.toFixed(1)).join(', ')}`);
    // Once both tracks' sender reports are in (after ~1–2 s) the offset is that of the server's clock mapping; under
    // CPU starvation the live publisher was seen rendering one flash a frame (33 ms) early, so the bound is on the
    // typical event, and every event must still be within one frame of it.
    const later = offsets.slice(-3);
    assert.ok(Math.abs(median(later)) <= 20, `median beep − flash ${median(later).toFixed(1)} ms`);
    for (const o of offsets) assert.ok(Math.abs(o) <= 20 + 1000 / 30, `beep − flash ${o.toFixed(1)} ms`);
  });
});
