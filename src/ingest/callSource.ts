/**
 * One call participant as a MediaSource: the call room feeds in the RTP its publish peer connection receives (the
 * room also forwards the same packets to the other participants), and the track receivers shared with WHIP turn it
 * into capture-timed frames and PCM.
 */
import { EventEmitter } from 'node:events';
import type { RtpPacket } from 'werift';
import type { EndReason, MediaSource, MediaSourceEvents, SourceInfo } from './mediaSource.ts';
import { AudioTrackReceiver, receivedSourceInfo, VideoTrackReceiver } from './rtpTrackReceiver.ts';

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

export class CallSource extends EventEmitter<MediaSourceEvents> implements MediaSource {
  readonly info: SourceInfo;
  private readonly t0 = performance.now();
  private readonly video: VideoTrackReceiver | undefined;
  private readonly audio: AudioTrackReceiver | undefined;
  private ended = false;
  /** called by stop(): the room tears the participant down */
  onStop: ((reason: EndReason, message?: string) => void) | undefined;

  constructor(opts: CallSourceOptions, video: 'H264' | 'VP8' | null, audio: boolean) {
    super();
    this.info = receivedSourceInfo('call', opts, video, audio);
    const now = () => (performance.now() - this.t0) / 1000;
    if (video) {
      this.video = new VideoTrackReceiver({
        codec: video,
        ffmpeg: opts.ffmpeg,
        width: opts.width,
        height: opts.height,
        now,
        requestKeyframe: () => opts.requestKeyframe(),
        onFrame: (f) => {
          if (!this.ended) this.emit('video', f);
        },
        onLog: (m) => opts.onLog?.(m, { streamId: opts.streamId }),
      });
    }
    if (audio) {
      this.audio = new AudioTrackReceiver({
        now,
        onAudio: (c) => {
          if (!this.ended) this.emit('audio', c);
        },
      });
    }
  }

  /** A video RTP packet from the publisher (not modified). */
  pushVideo(rtp: RtpPacket): void {
    if (!this.ended) this.video?.push(rtp);
  }

  pushAudio(rtp: RtpPacket): void {
    if (!this.ended) this.audio?.push(rtp);
  }

  get framesDecoded(): number {
    return this.video?.framesDecoded ?? 0;
  }

  async stop(reason: EndReason = 'deleted', message?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.video?.stop();
    this.audio?.stop();
    this.emit('end', reason, message);
    this.onStop?.(reason, message);
  }
}
