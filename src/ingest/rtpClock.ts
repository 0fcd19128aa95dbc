/**
 * One RTP track's clock: unwraps 32-bit RTP timestamps into ticks since the track's first packet, holds the media
 * time that first packet is anchored at, and (from RTCP sender reports) how the track's RTP time maps to the
 * sender's NTP clock, so that a stream's audio can be lined up with its video.
 */
export class RtpClock {
  private first: number | undefined;
  private last = 0;
  private lastTicks = 0;
  private wraps = 0;
  anchorS: number | undefined;
  /** anchor-based media time minus SR-NTP time of any RTP instant (constant per track), once an SR was seen */
  ntpOffsetS: number | undefined;
  private prevSr: { ntpS: number; ticks: number } | undefined;

  constructor(readonly rate: number) {}

  ticks(ts: number): number {
    if (this.first === undefined) {
      this.first = ts;
      this.last = ts;
    }
    // a reordered packet from before the latest wrap belongs to the previous cycle and does not move the clock
    if (ts > this.last && ts - this.last > 0x80000000) return ts + (this.wraps - 1) * 0x100000000 - this.first;
    if (ts < this.last && this.last - ts > 0x80000000) this.wraps++;
    this.last = ts;
    this.lastTicks = ts + this.wraps * 0x100000000 - this.first;
    return this.lastTicks;
  }

  /** Ticks of a timestamp near the latest packet (a sender report's), without advancing the clock. */
  near(ts: number): number {
    return this.lastTicks + ((ts - this.last) | 0);
  }

  /**
   * A sender report maps this track's RTP time to the sender's NTP clock. It is trusted only once two consecutive
   * reports agree with the RTP clock rate (within 2 %): GStreamer publishing from paced files was seen sending
   * reports whose RTP time ran at twice the packets' rate, which would misalign rather than align.
   */
  senderReport(ntp: bigint, rtpTs: number): void {
    if (this.first === undefined || this.anchorS === undefined) return;
    const ntpS = Number(ntp >> 32n) + Number(ntp & 0xffffffffn) / 2 ** 32;
    const ticks = this.near(rtpTs);
    const prev = this.prevSr;
    this.prevSr = { ntpS, ticks };
    if (!prev || ntpS - prev.ntpS < 0.2) return;
    const dNtp = ntpS - prev.ntpS;
    if (Math.abs((ticks - prev.ticks) / this.rate - dNtp) > 0.02 * dNtp) return;
    this.ntpOffsetS = this.anchorS + ticks / this.rate - ntpS;
  }
}
