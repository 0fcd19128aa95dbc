/**
 * A WHIP publish session as a MediaSource: a werift peer connection answers the (candidate-free) offer with its own
 * candidates; video RTP is depacketized (werift) and decoded by a long-lived ffmpeg, Opus is decoded in-process.
 *
 * Clock: one media clock per session, zero at the offer; each track is anchored on it by its receiver
 * (rtpTrackReceiver.ts). First-packet anchors of audio and video differ by the senders' pipeline delays (~40 ms
 * seen from GStreamer): once each track has an RTCP sender report, audio is shifted so that both tracks map RTP time to the
 * sender's NTP clock identically. SR NTP is used only to align the stream's own tracks, never as absolute time
 * (GStreamer's is ~1.2 s off wall clock).
 * The Opus encoder's lookahead (312 samples, 6.5 ms: decoded audio lags its input) is not compensated: GStreamer's
 * opusenc (and ffmpeg's, which OBS uses) already stamp packets lookahead-early (second packet at 13.5 ms, measured),
 * libwebrtc does not, and nothing in the stream says which convention a sender follows; 6.5 ms is within the
 * 20 ms A/V budget either way.
 */
import { EventEmitter } from 'node:events';
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { withBitrateHints } from './bitrateHints.ts';
import type { EndReason, MediaSource, MediaSourceEvents, SourceInfo } from './mediaSource.ts';
import { createPublishPeer } from './peerFactory.ts';
import type { RtpClock } from './rtpClock.ts';
import { AudioTrackReceiver, receivedSourceInfo, senderReportShift, VideoTrackReceiver } from './rtpTrackReceiver.ts';

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

interface SenderReport {
  type: number;
  ssrc: number;
  senderInfo: { ntpTimestamp: bigint; rtpTimestamp: number };
}

export class WhipSession extends EventEmitter<MediaSourceEvents> implements MediaSource {
  readonly info: SourceInfo;
  private readonly pc: RTCPeerConnection;
  private readonly t0 = performance.now();
  private video: VideoTrackReceiver | undefined;
  private audio: AudioTrackReceiver | undefined;
  private lastPacket = performance.now();
  private watchdog: NodeJS.Timeout;
  private ended = false;
  packets = { video: 0, audio: 0 };

  private constructor(
    private readonly opts: WhipSessionOptions,
    video: string | null,
    audio: string | null,
  ) {
    super();
    this.info = receivedSourceInfo('whip', opts, video, !!audio);
    this.pc = createPublishPeer();
    this.pc.ontrack = ({ track, receiver }) => {
      const rx =
        track.kind === 'video'
          ? this.onVideoTrack(track, (ssrc) => void receiver.sendRtcpPLI(ssrc))
          : this.onAudioTrack(track);
      receiver.onRtcp.subscribe((p) => {
        const sr = p as unknown as SenderReport;
        if (sr.type === 200 && sr.senderInfo) rx?.senderReport(sr.senderInfo.ntpTimestamp, sr.senderInfo.rtpTimestamp);
      });
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
  ): RtpClock {
    const video = new VideoTrackReceiver({
      codec: track.codec?.mimeType.toLowerCase().includes('h264') ? 'H264' : 'VP8',
      ffmpeg: this.opts.ffmpeg,
      width: this.opts.width,
      height: this.opts.height,
      now: () => this.now(),
      // the track's ssrc may be unknown until its first packet: the receiver takes it from the packets then
      requestKeyframe: (ssrc) => {
        const known = ssrc ?? track.ssrc;
        if (known !== undefined) pli(known);
      },
      onFrame: (f) => {
        if (!this.ended) this.emit('video', f);
      },
      onLog: (m) => this.opts.onLog?.(m, { streamId: this.opts.streamId }),
    });
    this.video = video;
    track.onReceiveRtp.subscribe((rtp) => {
      if (this.ended) return;
      this.lastPacket = performance.now();
      this.packets.video++;
      video.push(rtp);
    });
    return video.clock;
  }

  private onAudioTrack(track: { onReceiveRtp: { subscribe: (f: (rtp: RtpPacket) => void) => unknown } }): RtpClock {
    const audio: AudioTrackReceiver = new AudioTrackReceiver({
      now: () => this.now(),
      shift: (): number => (this.video ? senderReportShift(this.video.clock, audio.clock) : 0),
      onAudio: (c) => {
        if (!this.ended) this.emit('audio', c);
      },
    });
    this.audio = audio;
    track.onReceiveRtp.subscribe((rtp) => {
      if (this.ended) return;
      this.lastPacket = performance.now();
      this.packets.audio++;
      audio.push(rtp);
    });
    return audio.clock;
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
    await this.video?.stop();
    this.audio?.stop();
    await this.pc.close().catch(() => undefined);
    this.emit('end', reason, message);
  }

  get decoderPid(): number | undefined {
    return this.video?.decoderPid;
  }
}
