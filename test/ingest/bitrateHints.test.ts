import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withBitrateHints } from '../../src/ingest/bitrateHints.ts';

const answer = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  '',
].join('\r\n');

describe('withBitrateHints', () => {
  it('hints every video codec (adding an fmtp where there is none), not rtx, not audio', () => {
    const out = withBitrateHints(answer).split('\r\n');
    assert.deepEqual(
      out.filter((l) => l.startsWith('a=fmtp:')),
      [
        'a=fmtp:96 x-google-start-bitrate=2000;x-google-min-bitrate=800',
        'a=fmtp:97 apt=96',
        'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f;x-google-start-bitrate=2000;x-google-min-bitrate=800',
        'a=fmtp:103 apt=102',
        'a=fmtp:111 minptime=10;useinbandfec=1',
      ],
    );
    // the added fmtp follows its rtpmap; line endings and the final newline are kept
    assert.equal(
      out[out.indexOf('a=rtpmap:96 VP8/90000') + 1],
      'a=fmtp:96 x-google-start-bitrate=2000;x-google-min-bitrate=800',
    );
    assert.equal(out.length, answer.split('\r\n').length + 1);
    assert.equal(out.at(-1), '');
  });

  it('is idempotent and takes other values', () => {
    const once = withBitrateHints(answer, { startKbps: 1200, minKbps: 300 });
    assert.equal(withBitrateHints(once, { startKbps: 1200, minKbps: 300 }), once);
    assert.match(once, /^a=fmtp:96 x-google-start-bitrate=1200;x-google-min-bitrate=300$/m);
  });
});
