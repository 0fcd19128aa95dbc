import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpClock } from '../../src/ingest/rtpClock.ts';

/** NTP 32.32 fixed point of `s` seconds. */
const ntp = (s: number) => (BigInt(Math.floor(s)) << 32n) + BigInt(Math.round((s % 1) * 2 ** 32));

describe('RtpClock', () => {
  it('counts ticks from the first packet across the 32-bit wrap', () => {
    const c = new RtpClock(90000);
    assert.equal(c.ticks(0xffffff00), 0);
    assert.equal(c.ticks(0xffffffff), 0xff);
    assert.equal(c.ticks(0x00000100), 0x200);
    // a slightly late packet from before the wrap does not count as another wrap
    assert.equal(c.ticks(0xfffffff0), 0xf0);
  });

  it('maps RTP to NTP once two sender reports agree with the clock rate', () => {
    const c = new RtpClock(48000);
    c.ticks(1000);
    c.anchorS = 2;
    c.senderReport(ntp(100), 1000 + 48000);
    assert.equal(c.ntpOffsetS, undefined, 'one report is not trusted');
    c.ticks(1000 + 96000);
    c.senderReport(ntp(101), 1000 + 96000);
    // RTP 1 s after the first packet is media time 3 s and NTP 100 s
    assert.ok(Math.abs((c.ntpOffsetS ?? Number.NaN) - (2 + 2 - 101)) < 1e-6, String(c.ntpOffsetS));
  });

  it('ignores reports whose RTP time runs at another rate than the packets', () => {
    const c = new RtpClock(48000);
    c.ticks(0);
    c.anchorS = 0;
    c.senderReport(ntp(10), 0);
    c.senderReport(ntp(11), 96000); // 2 s of RTP in 1 s of NTP
    assert.equal(c.ntpOffsetS, undefined);
  });
});
