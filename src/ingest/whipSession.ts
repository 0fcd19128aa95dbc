/**
 * A WHIP publish session as a MediaSource: a werift peer connection answers the (candidate-free) offer with its own
 * candidates; video RTP is depacketized (werift) and decoded by a long-lived ffmpeg, Opus is decoded in-process.
 *
 * Clock: one media clock per session, zero at the offer. Each track's RTP time is anchored at the arrival of its
 * first packet and advances with the RTP timestamps, so frames and audio carry capture-relative media time, not
 * arrival time. First-packet anchors of audio and video differ by the senders' pipeline delays (~40 ms seen from
 * GStreamer): once each track has an RTCP sender report, audio is shifted so that both tracks map RTP time to the
 * sender's NTP clock identically. SR NTP is used only to align the stream's own tracks, never as absolute time
 * (GStreamer's is ~1.2 s off wall clock).
 * The Opus encoder's lookahead (312 samples, 6.5 ms: decoded audio lags its input) is not compensated: GStreamer's
 * opusenc (and ffmpeg's, which OBS uses) already stamp packets lookahead-early (second packet at 13.5 ms, measured),
 * libwebrtc does not, and nothing in the stream says which convention a sender follows; 6.5 ms is within the
 * 20 ms A/V budget either way.
 */
import { EventEmitter } from 'node:events';
import type { RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import { DepacketizeBase } from 'werift/nonstandard';
import { withBitrateHints } from './bitrateHints.ts';
import { LiveVideoDecoder } from './liveVideoDecoder.ts';
import type { EndReason, MediaSource, MediaSourceEvents, SourceInfo } from './mediaSource.ts';
import { OpusToPcm } from './opusToPcm.ts';
import { createPublishPeer } from './peerFactory.ts';

export interface WhipSessionOptions {
  streamId: string;
  room: string;
  ffmpeg: string;
  /** analysis frame size (frames are scaled and letterboxed to it) */
  width: number;
  height: number;
  /** end the session after this long without packets (also applies before the first packet) */
  timeoutS: number;
  onLog?: (msg: string, extra?: Record<string, unknown>) => void;
}

/** Unwraps a 32-bit RTP timestamp into a monotonic tick count relative to the first one. */
class RtpClock {
  private first: number | undefined;
  private last = 0;
  private lastTicks = 0;
  private wraps = 0;
  anchorS: number | undefined;
  /** anchor-based media time minus SR-NTP time of any RTP instant (constant per track), once an SR was seen */
  ntpOffsetS: number | undefined;

  constructor(readonly rate: number) {}

  ticks(ts: number): number {
    if (this.first === undefined) this.first = ts;
    if (ts < this.last && this.last - ts > 0x80000000) this.wraps++;
    this.last = ts;
    this.lastTicks = ts + this.wraps * 0x100000000 - this.first;
    return this.lastTicks;
  }

  /** Ticks of a timestamp near the latest packet (a sender report's), without advancing the clock. */
  near(ts: number): number {
    return this.lastTicks + ((ts - this.last) | 0);
  }

  private prevSr: { ntpS: number; ticks: number } | undefined;

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

interface SenderReport {
  type: number;
  ssrc: number;
  senderInfo: { ntpTimestamp: bigint; rtpTimestamp: number };
}

export class WhipSession extends EventEmitter<MediaSourceEvents> implements MediaSource {
  readonly info: SourceInfo;
  private readonly pc: RTCPeerConnection;
  private readonly t0 = performance.now();
  private decoder: LiveVideoDecoder | undefined;
  private opus: OpusToPcm | undefined;
  private lastPacket = performance.now();
  private watchdog: NodeJS.Timeout;
  private ended = false;
  private readonly videoClock = new RtpClock(90000);
  private readonly audioClock = new RtpClock(48000);
  packets = { video: 0, audio: 0 };

  private constructor(
    private readonly opts: WhipSessionOptions,
    video: string | null,
    audio: string | null,
  ) {
    super();
    this.info = {
      kind: 'whip',
      streamId: opts.streamId,
      room: opts.room,
      video: video ? { codec: video, width: opts.width, height: opts.height } : null,
      audio: audio ? { codec: 'opus', sampleRate: 16000 } : null,
    };
    this.pc = createPublishPeer();
    this.pc.ontrack = ({ track, receiver }) => {
      const clock = track.kind === 'video' ? this.videoClock : this.audioClock;
      receiver.onRtcp.subscribe((p) => {
        const sr = p as unknown as SenderReport;
        if (sr.type === 200 && sr.senderInfo)
          clock.senderReport(sr.senderInfo.ntpTimestamp, sr.senderInfo.rtpTimestamp);
      });
      if (track.kind === 'video') this.onVideoTrack(track, (ssrc) => void receiver.sendRtcpPLI(ssrc));
      else this.onAudioTrack(track);
    };
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed') void this.stop('ice-failed', 'ICE connection failed');
      if (state === 'closed') void this.stop('disconnected', 'peer connection closed');
    });
    this.watchdog = setInterval(() => {
      if ((performance.now() - this.lastPacket) / 1000 > opts.timeoutS) {
        void this.stop('timeout', `no packets for ${opts.timeoutS} s`);
      }
    }, 1000);
    this.watchdog.unref();
  }

  /**
   * Answers an offer already checked by `checkOffer`; resolves once the answer carries all local candidates (and the
   * bitrate hints).
   */
  static async answer(
    offer: string,
    codecs: { video: string | null; audio: string | null },
    opts: WhipSessionOptions,
  ): Promise<{ session: WhipSession; answer: string }> {
    const s = new WhipSession(opts, codecs.video, codecs.audio);
    try {
      await s.pc.setRemoteDescription({ type: 'offer', sdp: offer });
      const answer = await s.pc.createAnswer();
      await s.pc.setLocalDescription(answer);
      if (s.pc.iceGatheringState !== 'complete') {
        await new Promise<void>((resolve) => {
          const sub = s.pc.iceGatheringStateChange.subscribe((st) => {
            if (st === 'complete') {
              sub.unSubscribe();
              resolve();
            }
          });
          setTimeout(resolve, 3000);
        });
      }
      const sdp = s.pc.localDescription?.sdp;
      if (!sdp) throw new Error('no local description');
      return { session: s, answer: withBitrateHints(sdp) };
    } catch (err) {
      await s.stop('error', (err as Error).message);
      throw err;
    }
  }

  private now(): number {
    return (performance.now() - this.t0) / 1000;
  }

  private onVideoTrack(
    track: {
      codec?: { mimeType: string };
      ssrc?: number;
      onReceiveRtp: { subscribe: (f: (rtp: RtpPacket) => void) => unknown };
    },
    pli: (ssrc: number) => void,
  ): void {
    const codec = track.codec?.mimeType.toLowerCase().includes('h264') ? 'H264' : 'VP8';
    // The track's ssrc may be unknown until its first packet: take it from the packets themselves.
    let ssrc = track.ssrc;
    let decoded = 0;
    const askKeyframe = () => {
      if (ssrc !== undefined) pli(ssrc);
    };
    // Browsers send a keyframe only when asked: ask until the decoder has produced a frame.
    const untilFirstFrame = setInterval(() => {
      if (decoded > 0 || this.ended) clearInterval(untilFirstFrame);
      else askKeyframe();
    }, 500);
    untilFirstFrame.unref();
    const depacketizer = new DepacketizeBase(codec === 'H264' ? 'MPEG4/ISO/AVC' : 'VP8', {
      waitForKeyframe: true,
      isFinalPacketInSequence: (h: RtpHeader) => h.marker,
    });
    depacketizer.onNeedKeyFrame.subscribe(askKeyframe);
    this.decoder = new LiveVideoDecoder({
      ffmpeg: this.opts.ffmpeg,
      codec,
      width: this.opts.width,
      height: this.opts.height,
      onNeedKeyframe: askKeyframe,
      onError: (m) => this.opts.onLog?.(m, { streamId: this.opts.streamId }),
      onFrame: (f) => {
        decoded++;
        if (this.ended) return;
        const t = (this.videoClock.anchorS ?? 0) + f.pts / 90000;
        this.emit('video', { t, width: this.opts.width, height: this.opts.height, rgb: f.rgb, index: f.index });
      },
    });
    track.onReceiveRtp.subscribe((rtp) => {
      if (this.ended) return;
      this.lastPacket = performance.now();
      this.packets.video++;
      ssrc ??= rtp.header.ssrc;
      const ticks = this.videoClock.ticks(rtp.header.timestamp);
      this.videoClock.anchorS ??= this.now();
      // the depacketizer consumes the packet's payload: give it its own copy
      for (const out of depacketizer.processInput({ rtp: rtp.clone(), time: ticks })) {
        if (out.frame) this.decoder?.write(out.frame.data, out.frame.time);
      }
    });
  }

  private onAudioTrack(track: { onReceiveRtp: { subscribe: (f: (rtp: RtpPacket) => void) => unknown } }): void {
    const opus = new OpusToPcm();
    this.opus = opus;
    let nextT: number | undefined;
    let appliedShift = 0;
    track.onReceiveRtp.subscribe((rtp) => {
      if (this.ended) return;
      this.lastPacket = performance.now();
      this.packets.audio++;
      const ticks = this.audioClock.ticks(rtp.header.timestamp);
      // An audio packet leaves only once its last sample is captured: its first sample is one packet (20 ms for
      // Opus from Chrome, OBS and GStreamer) older than its arrival. A video frame leaves right after encoding.
      this.audioClock.anchorS ??= this.now() - 0.02;
      void opus.ready.then(() => {
        if (this.ended) return;
        let samples = opus.decode(rtp.payload);
        if (!samples.length) return;
        const shift = this.audioShift();
        let t = (this.audioClock.anchorS ?? 0) + ticks / 48000 + shift;
        if (nextT !== undefined && shift !== appliedShift && Math.abs(t - nextT) < 0.5) {
          // The sender-report shift arrived or changed: move the PCM timeline once while keeping it gap-free —
          // drop the samples now overlapping earlier ones, or fill a forward jump with silence.
          const n = Math.round((t - nextT) * 16000);
          if (n < 0) samples = samples.subarray(Math.min(samples.length, -n));
          else if (n > 0) {
            const padded = new Float32Array(n + samples.length);
            padded.set(samples, n);
            samples = padded;
          }
          t = nextT;
        }
        appliedShift = shift;
        if (!samples.length) return;
        // Keep the PCM continuous across timestamp rounding and small overlaps (a packet decoded after a later one
        // never moves time back); a real gap (loss, DTX) starts again at its own time.
        if (nextT !== undefined && t < nextT + 0.005) t = nextT;
        nextT = t + samples.length / 16000;
        this.emit('audio', { t, samples });
      });
    });
  }

  /** Audio's shift onto the video track's timing, from their sender reports (0 until both have one). */
  private audioShift(): number {
    const v = this.videoClock.ntpOffsetS;
    const a = this.audioClock.ntpOffsetS;
    return v === undefined || a === undefined ? 0 : v - a;
  }

  /** Trickled remote candidates (`candidate:…` lines); unparsable ones are skipped. */
  async addCandidates(candidates: string[]): Promise<void> {
    for (const candidate of candidates) {
      await this.pc.addIceCandidate({ candidate, sdpMLineIndex: 0 }).catch(() => undefined);
    }
  }

  async stop(reason: EndReason = 'deleted', message?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.watchdog);
    await this.decoder?.stop();
    this.opus?.free();
    await this.pc.close().catch(() => undefined);
    this.emit('end', reason, message);
  }

  get decoderPid(): number | undefined {
    return this.decoder?.pid;
  }
}
