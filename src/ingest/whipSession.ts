/**
 * A WHIP publish session as a MediaSource: a werift peer connection answers the (candidate-free) offer with its own
 * candidates; video RTP is depacketized (werift) and decoded by a long-lived ffmpeg, Opus is decoded in-process.
 *
 * Clock: one media clock per session, zero at the offer. Each track's RTP time is anchored at the arrival of its
 * first packet and advances with the RTP timestamps, so frames and audio carry capture-relative media time, not
 * arrival time. (Alignment through RTCP sender reports is not done yet: on loopback the first-packet anchors agree
 * within a few ms; over a real network they can differ by the tracks' jitter.)
 */
import { EventEmitter } from 'node:events';
import type { RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import { DepacketizeBase } from 'werift/nonstandard';
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
  private wraps = 0;
  anchorS: number | undefined;

  ticks(ts: number): number {
    if (this.first === undefined) this.first = ts;
    if (ts < this.last && this.last - ts > 0x80000000) this.wraps++;
    this.last = ts;
    return ts + this.wraps * 0x100000000 - this.first;
  }
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
  private readonly videoClock = new RtpClock();
  private readonly audioClock = new RtpClock();
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

  /** Answers an offer already checked by `checkOffer`; resolves once the answer carries all local candidates. */
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
      return { session: s, answer: sdp };
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
    track.onReceiveRtp.subscribe((rtp) => {
      if (this.ended) return;
      this.lastPacket = performance.now();
      this.packets.audio++;
      const ticks = this.audioClock.ticks(rtp.header.timestamp);
      this.audioClock.anchorS ??= this.now();
      void opus.ready.then(() => {
        if (this.ended) return;
        const samples = opus.decode(rtp.payload);
        if (!samples.length) return;
        let t = (this.audioClock.anchorS ?? 0) + ticks / 48000;
        // Keep the PCM continuous across timestamp rounding and small overlaps (a packet decoded after a later one
        // never moves time back); a real gap (loss, DTX) starts again at its own time.
        if (nextT !== undefined && t < nextT + 0.005) t = nextT;
        nextT = t + samples.length / 16000;
        this.emit('audio', { t, samples });
      });
    });
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
