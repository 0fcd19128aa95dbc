import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rootLogger } from '../../src/events/logger.ts';
import type { MicroEmoEvent } from '../../src/events/schema.ts';
import type { MediaSource } from '../../src/ingest/mediaSource.ts';
import { analysisModule } from '../../src/server/analysisModule.ts';
import { type BuiltServer, buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { modelsReady } from '../../src/server/modelsReady.ts';
import { whipRoutes } from '../../src/server/whipRoutes.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

const gstreamer =
  spawnSync('/usr/bin/python3', ['-c', 'import gi; gi.require_version("GstWebRTC", "1.0")']).status === 0 &&
  spawnSync('gst-inspect-1.0', ['webrtcbin']).status === 0;

/** A minimal valid offer (one H.264 video, one Opus audio) as browsers send it. */
function offer(opts: { video?: string; audio?: string; twoVideos?: boolean } = {}): string {
  const v = (mid: number) =>
    [
      `m=video 9 UDP/TLS/RTP/SAVPF 102`,
      'c=IN IP4 0.0.0.0',
      `a=mid:${mid}`,
      'a=sendonly',
      'a=rtcp-mux',
      'a=ice-ufrag:abcd',
      'a=ice-pwd:abcdefghijklmnopqrstuvwx',
      'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
      'a=setup:actpass',
      `a=rtpmap:102 ${opts.video ?? 'H264'}/90000`,
      'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f',
    ].join('\r\n');
  const a = [
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'c=IN IP4 0.0.0.0',
    'a=mid:9',
    'a=sendonly',
    'a=rtcp-mux',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
    'a=setup:actpass',
    `a=rtpmap:111 ${opts.audio ?? 'opus'}/48000/2`,
  ].join('\r\n');
  const mids = opts.twoVideos ? '0 1 9' : '0 9';
  const head = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', `a=group:BUNDLE ${mids}`].join('\r\n');
  return `${[head, v(0), ...(opts.twoVideos ? [v(1)] : []), a].join('\r\n')}\r\n`;
}

describe('WHIP endpoint', () => {
  let server: BuiltServer;
  let base: string;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'microemo-whip-'));
    server = await buildServer(
      loadConfig({}, { port: 0, dataDir, whipTokens: 'studio=s3cret', maxSessionsPerRoom: 1, streamTimeoutS: 10 }),
      rootLogger(),
      [modelsReady, analysisModule, whipRoutes],
    );
    base = `http://127.0.0.1:${(await server.listen()).port}`;
    await server.readiness.whenDone('vision-workers');
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (room: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/whip/${room}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/sdp', authorization: 'Bearer s3cret', ...headers },
    });

  it('answers every bad request with its status and a short message', async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [post('open', 'v=0', { 'content-type': 'text/plain' }), 415, /application\/sdp/],
      [post('open', 'hello'), 400, /malformed SDP/],
      [post('open', offer({ video: 'AV1', audio: 'PCMU' })), 406, /no supported codec/],
      [post('open', offer({ twoVideos: true })), 422, /more than one audio or video/],
      [post('open', `v=0\r\n${'a=x\r\n'.repeat(20000)}`), 413, /larger than 65536/],
      [post('studio', offer(), { authorization: '' }), 401, /missing bearer token/],
      [post('studio', offer(), { authorization: 'Bearer nope' }), 403, /wrong token/],
      [fetch(`${base}/whip/open/ghost`, { method: 'DELETE' }), 404, /unknown session/],
      [
        fetch(`${base}/whip/open/ghost`, {
          method: 'PATCH',
          body: 'a=candidate:1 1 udp 1 127.0.0.1 9 typ host',
          headers: { 'content-type': 'application/trickle-ice-sdpfrag' },
        }),
        404,
        /unknown session/,
      ],
    ];
    for (const [res, status, message] of cases) {
      const r = await res;
      assert.equal(r.status, status, `${status}: ${await r.clone().text()}`);
      assert.match(await r.text(), message);
    }
    const opt = await fetch(`${base}/whip/open`, { method: 'OPTIONS' });
    assert.equal(opt.status, 204);
    assert.equal(opt.headers.get('accept-post'), 'application/sdp');
    assert.equal(opt.headers.get('access-control-allow-origin'), '*');
  });

  it('creates a session (201, Location, ETag, answer with candidates), limits sessions per room, deletes', async () => {
    const r = await post('lim', offer());
    assert.equal(r.status, 201, await r.clone().text());
    const location = r.headers.get('location') ?? '';
    assert.match(location, /^\/whip\/lim\/[0-9a-f-]{36}$/);
    assert.ok(r.headers.get('etag'));
    const answer = await r.text();
    assert.match(answer, /^v=0/);
    assert.match(answer, /a=candidate:.* 127\.0\.0\.1 /, 'the answer carries the server candidates');
    assert.match(
      answer,
      /^a=fmtp:102 .*packetization-mode=1.*;x-google-start-bitrate=2000;x-google-min-bitrate=800\r$/m,
      'the H.264 fmtp carries the bitrate hints',
    );
    const second = await post('lim', offer());
    assert.equal(second.status, 429);
    assert.match(await second.text(), /room lim has its 1 sessions/);
    const restart = await fetch(`${base}${location}`, {
      method: 'PATCH',
      body: 'a=ice-ufrag:new1\r\na=ice-pwd:newpasswordnewpassword12\r\n',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag' },
    });
    assert.equal(restart.status, 422);
    assert.equal((await fetch(`${base}${location}`, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(`${base}${location}`, { method: 'DELETE' })).status, 404);
  });

  it('decodes an OBS-like GStreamer publish (H.264 + Opus, offer without candidates) into timed frames and PCM', {
    skip: !gstreamer && 'GStreamer webrtcbin / python3-gi not installed',
  }, async () => {
    const events: MicroEmoEvent[] = [];
    server.bus.on((e) => events.push(e));
    const frames: number[] = [];
    let pcm = 0;
    let lastAudioEnd = 0;
    let gaps = 0;
    server.sources.once('source', (src: MediaSource) => {
      src.on('video', (f) => frames.push(f.t));
      src.on('audio', (c) => {
        if (lastAudioEnd && Math.abs(c.t - lastAudioEnd) > 0.001) gaps++;
        lastAudioEnd = c.t + c.samples.length / 16000;
        pcm += c.samples.length;
      });
    });
    const pub = spawn('/usr/bin/python3', ['test/tools/whipPublisher.py', `${base}/whip/studio`, '6', 's3cret'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    pub.stdout.on('data', (d) => (out += d));
    pub.stderr.on('data', (d) => (out += d));
    assert.equal(await new Promise((r) => pub.on('exit', r)), 0, out);
    assert.match(out, /status 201/);
    assert.match(out, /deleted 200/);
    await new Promise((r) => setTimeout(r, 500));
    // frames: media time advances at the source rate (30 fps ± 5 %)
    assert.ok(frames.length > 100, `${frames.length} frames decoded`);
    const span = frames.at(-1)! - frames[10];
    const fps = (frames.length - 11) / span;
    assert.ok(Math.abs(fps - 30) / 30 < 0.05, `media-time rate ${fps.toFixed(2)} fps`);
    // audio: 16 kHz PCM, continuous
    const audioS = pcm / 16000;
    assert.ok(audioS > 4, `${audioS.toFixed(2)} s of PCM`);
    assert.equal(gaps, 0, 'PCM continuous');
    const mine = events.filter((e) => e.room === 'studio');
    assert.equal(mine[0]?.type, 'stream.started');
    assert.equal(mine[0]?.type === 'stream.started' && mine[0].source, 'whip');
    assert.ok(
      mine.some((e) => e.type === 'face.frame'),
      'face.frame events from the live stream',
    );
    const ended = mine.find((e) => e.type === 'stream.ended');
    assert.equal(ended?.type === 'stream.ended' && ended.reason, 'deleted');
    const ffmpegs = spawnSync('pgrep', ['-f', 'ffmpeg.*-f ivf -i pipe:0']).stdout.toString().trim();
    assert.equal(ffmpegs, '', 'no decoder left running');
  });
});
