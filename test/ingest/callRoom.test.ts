import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallRoom } from '../../src/ingest/callRoom.ts';
import type { EndReason, MediaSource } from '../../src/ingest/mediaSource.ts';
import { FFMPEG } from '../harness/clips.ts';

/** A browser-like publish offer (VP8 + Opus, sendonly) whose ICE never connects. */
function offer(): string {
  const common = [
    'c=IN IP4 0.0.0.0',
    'a=sendonly',
    'a=rtcp-mux',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
    'a=setup:actpass',
  ];
  return `${[
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'a=mid:0',
    ...common,
    'a=rtpmap:96 VP8/90000',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=mid:1',
    ...common,
    'a=rtpmap:111 opus/48000/2',
  ].join('\r\n')}\r\n`;
}

describe('CallRoom', () => {
  it('limits participants, and ends only the participant that leaves or goes silent', async () => {
    const sources: MediaSource[] = [];
    const ended = new Map<string, EndReason>();
    const left: { id: string; reason: EndReason }[] = [];
    const room = new CallRoom({
      room: 'unit',
      maxParticipants: 2,
      timeoutS: 1,
      analysis: { ffmpeg: FFMPEG, width: 64, height: 48 },
      onSource: (s) => {
        sources.push(s);
        s.on('end', (reason) => ended.set(s.info.streamId, reason));
      },
    });
    room.on('participant-left', (p) => left.push({ id: p.id, reason: p.reason }));
    try {
      const a = room.join('a');
      const b = room.join('b');
      assert.throws(() => room.join('c'), /room unit is full \(2 participants\)/);
      await assert.rejects(room.publish(a.id, 'garbage'));
      assert.deepEqual(
        left.map((l) => l.reason),
        ['error'],
      );
      assert.deepEqual(room.list(), [b]);
      const answer = await room.publish(b.id, offer());
      assert.match(answer, /a=candidate:.*127\.0\.0\.1/);
      // the same bitrate hints as WHIP answers: browsers start at analysis quality
      const vp8 = /^a=rtpmap:(\d+) VP8\/90000\r?$/m.exec(answer)?.[1];
      assert.ok(vp8, answer);
      assert.match(
        answer,
        new RegExp(`^a=fmtp:${vp8} .*x-google-start-bitrate=2000;x-google-min-bitrate=800\r?$`, 'm'),
      );
      assert.equal(sources.length, 1);
      assert.equal(sources[0]?.info.streamId, `unit-${b.id}`);
      assert.equal(sources[0]?.info.kind, 'call');
      assert.deepEqual(sources[0]?.info.video, { codec: 'VP8', width: 64, height: 48 });
      // no packets ever arrive: the watchdog ends b with 'timeout'
      const start = Date.now();
      while (!ended.size && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 100));
      assert.equal(ended.get(`unit-${b.id}`), 'timeout');
      assert.deepEqual(left.at(-1), { id: b.id, reason: 'timeout' });
      assert.equal(room.size, 0);
    } finally {
      room.close();
    }
  });
});
