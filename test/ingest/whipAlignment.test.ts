import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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
import { PROJECT_ROOT } from '../harness/media.ts';

const gstreamer =
  spawnSync('/usr/bin/python3', ['-c', 'import gi; gi.require_version("GstWebRTC", "1.0")']).status === 0 &&
  spawnSync('gst-inspect-1.0', ['webrtcbin']).status === 0;

/** Flash + beep instants in the generated clip (media seconds from its start). */
const EVENTS = [1, 2, 3, 4, 5];
const on = (t: string) => EVENTS.map((s) => `between(${t},${s},${s + 0.099})`).join('+');

describe('WHIP A/V alignment', { skip: !gstreamer && 'GStreamer webrtcbin / python3-gi not installed' }, () => {
  let server: BuiltServer;
  let base: string;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'microemo-avsync-'));
    const ffmpeg = resolveFfmpeg();
    // white 100 ms flashes and 1 kHz 100 ms beeps at the same instants, black and silence in between
    const v = spawnSync(ffmpeg, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i'],
      `color=c=black:s=640x480:r=30:d=6,geq=lum='if(${on('T')},235,16)':cb=128:cr=128`,
      ...['-pix_fmt', 'yuv420p', '-y', join(dir, 'v.y4m')],
    ]);
    assert.equal(v.status, 0, v.stderr.toString());
    const a = spawnSync(ffmpeg, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i'],
      `aevalsrc='if(${on('t')},0.5*sin(2*PI*1000*t),0)':s=48000:d=6`,
      ...['-ac', '2', '-y', join(dir, 'a.wav')],
    ]);
    assert.equal(a.status, 0, a.stderr.toString());
    server = await buildServer(loadConfig({}, { port: 0, dataDir: dir, streamTimeoutS: 10 }), rootLogger(), [
      whipRoutes,
    ]);
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // todo: the GStreamer publisher fed from paced files (identity sync) is not a faithful source yet — its RTP time
  // ran at twice its sender reports' NTP rate and measured offsets varied 33–70 ms between runs, so it cannot tell
  // the server's alignment apart from the publisher's own skew. Kept running to report the offsets.
  it('decoded flash and beep times agree within 20 ms', {
    timeout: 60_000,
    todo: 'publisher-side A/V skew of the paced-file GStreamer source dominates',
  }, async () => {
    const flashes: number[] = [];
    const beeps: number[] = [];
    let bright = false;
    let loud = false;
    let quietSamples = 0;
    server.sources.once('source', (src: MediaSource) => {
      src.on('video', (f) => {
        let sum = 0;
        for (let i = 0; i < f.rgb.length; i += 3 * 97) sum += f.rgb[i];
        const on = sum / (f.rgb.length / (3 * 97)) > 128;
        if (on && !bright) flashes.push(f.t);
        bright = on;
      });
      src.on('audio', (c) => {
        for (let i = 0; i < c.samples.length; i++) {
          const hot = Math.abs(c.samples[i]) > 0.1;
          if (hot && !loud) beeps.push(c.t + i / 16000);
          if (hot) {
            loud = true;
            quietSamples = 0;
          } else if (loud && ++quietSamples > 160) loud = false; // 10 ms of quiet ends a beep
        }
      });
    });
    const pub = spawn('/usr/bin/python3', ['test/tools/whipPublisher.py', `${base}/whip/sync`, '6.5'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WHIP_VIDEO_Y4M: join(dir, 'v.y4m'), WHIP_AUDIO_WAV: join(dir, 'a.wav') },
    });
    let out = '';
    pub.stdout.on('data', (d) => (out += d));
    pub.stderr.on('data', (d) => (out += d));
    assert.equal(await new Promise((r) => pub.on('exit', r)), 0, out);
    assert.match(out, /status 201/);
    // pair each flash with the nearest beep; the first second may be lost while the decoder waits for a keyframe
    assert.ok(flashes.length >= 3, `flashes at ${flashes.map((t) => t.toFixed(3))}`);
    assert.ok(beeps.length >= 3, `beeps at ${beeps.map((t) => t.toFixed(3))}`);
    const offsets = flashes.map((f) => {
      const b = beeps.reduce((best, x) => (Math.abs(x - f) < Math.abs(best - f) ? x : best));
      return (b - f) * 1000;
    });
    console.log(`A/V offsets (beep − flash, ms): ${offsets.map((o) => o.toFixed(1)).join(', ')}`);
    for (const o of offsets) assert.ok(Math.abs(o) <= 20, `beep − flash ${o.toFixed(1)} ms`);
    // flashes are one second apart in media time
    for (let i = 1; i < flashes.length; i++) {
      assert.ok(Math.abs(flashes[i] - flashes[i - 1] - 1) < 0.04, `flash spacing ${flashes[i] - flashes[i - 1]}`);
    }
  });
});
