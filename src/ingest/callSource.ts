/**
 * One call participant as a MediaSource: the RTP its publish peer connection receives is depacketized (werift) and
 * decoded by the ingest chain (LiveVideoDecoder = long-lived ffmpeg, OpusToPcm in-process).
 *
 * The glue (RTP clock unwrap, first-packet anchors, keyframe requests until the first frame) mirrors WhipSession,
 * whose chain is bound to its own peer connection; here the peer connection belongs to the call room, which also
 * forwards the same packets to the other participants, so the room feeds packets in instead.
 */
import { EventEmitter } from 'node:events';
import type { RtpHeader, RtpPacket } from 'werift';
import { DepacketizeBase } from 'werift/nonstandard';
import { LiveVideoDecoder } from './liveVideoDecoder.ts';
import type { EndReason, MediaSource, MediaSourceEvents, SourceInfo } from './mediaSource.ts';
import { OpusToPcm } from './opusToPcm.ts';

export interface CallSourceOptions {
  streamId: string;
  room: string;
  ffmpeg: string;
  width: number;
  height: number;
  /** asks the publisher for a keyframe */
  requestKeyframe: () => void;
  onLog?: (msg: string, extra?: Record<string, unknown>) => void;
}

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

export class CallSource extends EventEmitter<MediaSourceEvents> implements MediaSource {
  readonly info: SourceInfo;
  private readonly t0 = performance.now();
  private decoder: LiveVideoDecoder | undefined;
  private depacketizer: DepacketizeBase | undefined;
  private opus: OpusToPcm | undefined;
  private readonly videoClock = new RtpClock();
  private readonly audioClock = new RtpClock();
  private nextAudioT: number | undefined;
  private decoded = 0;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private ended = false;
  /** called by stop(): the room tears the participant down */
  onStop: ((reason: EndReason, message?: string) => void) | undefined;

  constructor(opts: CallSourceOptions, video: 'H264' | 'VP8' | null, audio: boolean) {
    super();
    this.info = {
      kind: 'call',
      streamId: opts.streamId,
      room: opts.room,
      video: video ? { codec: video, width: opts.width, height: opts.height } : null,
      audio: audio ? { codec: 'opus', sampleRate: 16000 } : null,
    };
    if (video) {
      this.depacketizer = new DepacketizeBase(video === 'H264' ? 'MPEG4/ISO/AVC' : 'VP8', {
        waitForKeyframe: true,
        isFinalPacketInSequence: (h: RtpHeader) => h.marker,
      });
      this.depacketizer.onNeedKeyFrame.subscribe(() => opts.requestKeyframe());
      this.decoder = new LiveVideoDecoder({
        ffmpeg: opts.ffmpeg,
        codec: video,
        width: opts.width,
        height: opts.height,
        onNeedKeyframe: () => opts.requestKeyframe(),
        onError: (m) => opts.onLog?.(m, { streamId: opts.streamId }),
        onFrame: (f) => {
          this.decoded++;
          if (this.ended) return;
          const t = (this.videoClock.anchorS ?? 0) + f.pts / 90000;
          this.emit('video', { t, width: opts.width, height: opts.height, rgb: f.rgb, index: f.index });
        },
      });
      // Browsers send a keyframe only when asked: ask until the decoder has produced a frame.
      this.keyframeTimer = setInterval(() => {
        if (this.decoded > 0 || this.ended) clearInterval(this.keyframeTimer);
        else opts.requestKeyframe();
      }, 500);
      this.keyframeTimer.unref();
    }
    if (audio) this.opus = new OpusToPcm();
  }

  private now(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** A video RTP packet from the publisher (not modified: the depacketizer gets its own copy). */
  pushVideo(rtp: RtpPacket): void {
    if (this.ended || !this.depacketizer) return;
    const ticks = this.videoClock.ticks(rtp.header.timestamp);
    this.videoClock.anchorS ??= this.now();
    for (const out of this.depacketizer.processInput({ rtp: rtp.clone(), time: ticks })) {
      if (out.frame) this.decoder?.write(out.frame.data, out.frame.time);
    }
  }

  pushAudio(rtp: RtpPacket): void {
    const opus = this.opus;
    if (this.ended || !opus) return;
    const ticks = this.audioClock.ticks(rtp.header.timestamp);
    this.audioClock.anchorS ??= this.now();
    const payload = Buffer.from(rtp.payload);
    void opus.ready.then(() => {
      if (this.ended) return;
      const samples = opus.decode(payload);
      if (!samples.length) return;
      let t = (this.audioClock.anchorS ?? 0) + ticks / 48000;
      // keep PCM continuous across rounding and small overlaps; a real gap starts again at its own time
      if (this.nextAudioT !== undefined && t < this.nextAudioT + 0.005) t = this.nextAudioT;
      this.nextAudioT = t + samples.length / 16000;
      this.emit('audio', { t, samples });
    });
  }

  get framesDecoded(): number {
    return this.decoded;
  }

  async stop(reason: EndReason = 'deleted', message?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keyframeTimer);
    await this.decoder?.stop();
    this.opus?.free();
    this.emit('end', reason, message);
    this.onStop?.(reason, message);
  }
}
