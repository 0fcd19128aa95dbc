/**
 * The receiving end of one published track, shared by WHIP sessions and call participants (whose peer connections
 * differ: a WHIP session owns its own, a call room's also forwards the packets to other participants):
 * RTP in, capture-timed frames or PCM out.
 *
 * Clock: each track's RTP time is anchored at the arrival of its first packet (media time `now()`) and advances with
 * the RTP timestamps, so media carries capture-relative time, not arrival time.
 */
import type { RtpHeader, RtpPacket } from 'werift';
import { DepacketizeBase } from 'werift/nonstandard';
import { LiveVideoDecoder } from './liveVideoDecoder.ts';
import type { AudioChunk, SourceInfo, VideoFrame } from './mediaSource.ts';
import { OpusToPcm } from './opusToPcm.ts';
import { RtpClock } from './rtpClock.ts';

export interface VideoTrackOptions {
  codec: 'H264' | 'VP8';
  ffmpeg: string;
  width: number;
  height: number;
  /** media time now, seconds */
  now: () => number;
  /** asks the sender for a keyframe; `ssrc` is the track's once a packet has shown it */
  requestKeyframe: (ssrc: number | undefined) => void;
  onFrame: (frame: VideoFrame) => void;
  onLog?: (message: string) => void;
}

/** Depacketizes (werift) and decodes (one long-lived ffmpeg) a VP8 or H.264 track. */
export class VideoTrackReceiver {
  readonly clock = new RtpClock(90000);
  private readonly depacketizer: DepacketizeBase;
  private readonly decoder: LiveVideoDecoder;
  private readonly untilFirstFrame: NodeJS.Timeout;
  private ssrc: number | undefined;
  private stopped = false;
  framesDecoded = 0;

  constructor(private readonly opts: VideoTrackOptions) {
    const askKeyframe = () => opts.requestKeyframe(this.ssrc);
    this.depacketizer = new DepacketizeBase(opts.codec === 'H264' ? 'MPEG4/ISO/AVC' : 'VP8', {
      waitForKeyframe: true,
      isFinalPacketInSequence: (h: RtpHeader) => h.marker,
    });
    this.depacketizer.onNeedKeyFrame.subscribe(askKeyframe);
    this.decoder = new LiveVideoDecoder({
      ffmpeg: opts.ffmpeg,
      codec: opts.codec,
      width: opts.width,
      height: opts.height,
      onNeedKeyframe: askKeyframe,
      onError: opts.onLog,
      onFrame: (f) => {
        this.framesDecoded++;
        if (this.stopped) return;
        const t = (this.clock.anchorS ?? 0) + f.pts / 90000;
        opts.onFrame({ t, width: opts.width, height: opts.height, rgb: f.rgb, index: f.index });
      },
    });
    // Browsers send a keyframe only when asked: ask until the decoder has produced a frame.
    this.untilFirstFrame = setInterval(() => {
      if (this.framesDecoded > 0 || this.stopped) clearInterval(this.untilFirstFrame);
      else askKeyframe();
    }, 500);
    this.untilFirstFrame.unref();
  }

  /** A packet of the track (left unmodified: the depacketizer, which consumes payloads, gets its own copy). */
  push(rtp: RtpPacket): void {
    if (this.stopped) return;
    this.ssrc ??= rtp.header.ssrc;
    const ticks = this.clock.ticks(rtp.header.timestamp);
    this.clock.anchorS ??= this.opts.now();
    for (const out of this.depacketizer.processInput({ rtp: rtp.clone(), time: ticks })) {
      if (out.frame) this.decoder.write(out.frame.data, out.frame.time);
    }
  }

  get decoderPid(): number | undefined {
    return this.decoder.pid;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.untilFirstFrame);
    await this.decoder.stop();
  }
}

export interface AudioTrackOptions {
  now: () => number;
  /** seconds to add to this track's media time to line it up with the stream's video (0 while unknown) */
  shift?: () => number;
  onAudio: (chunk: AudioChunk) => void;
}

/** Decodes an Opus track into gap-free 16 kHz PCM. */
export class AudioTrackReceiver {
  readonly clock = new RtpClock(48000);
  private readonly opus = new OpusToPcm();
  private nextT: number | undefined;
  private appliedShift = 0;
  private stopped = false;

  constructor(private readonly opts: AudioTrackOptions) {}

  push(rtp: RtpPacket): void {
    if (this.stopped) return;
    const ticks = this.clock.ticks(rtp.header.timestamp);
    // An audio packet leaves only once its last sample is captured: its first sample is one packet (20 ms for
    // Opus from Chrome, OBS and GStreamer) older than its arrival. A video frame leaves right after encoding.
    this.clock.anchorS ??= this.opts.now() - 0.02;
    // decoding waits for the wasm module: keep the payload, which the packet's owner may reuse meanwhile
    const payload = Buffer.from(rtp.payload);
    void this.opus.ready.then(() => this.decode(payload, ticks));
  }

  private decode(payload: Uint8Array, ticks: number): void {
    if (this.stopped) return;
    let samples = this.opus.decode(payload);
    if (!samples.length) return;
    const shift = this.opts.shift?.() ?? 0;
    let t = (this.clock.anchorS ?? 0) + ticks / 48000 + shift;
    if (this.nextT !== undefined && shift !== this.appliedShift && Math.abs(t - this.nextT) < 0.5) {
      // The shift arrived or changed: move the PCM timeline once while keeping it gap-free — drop the samples now
      // overlapping earlier ones, or fill a forward jump with silence.
      const n = Math.round((t - this.nextT) * 16000);
      if (n < 0) samples = samples.subarray(Math.min(samples.length, -n));
      else if (n > 0) {
        const padded = new Float32Array(n + samples.length);
        padded.set(samples, n);
        samples = padded;
      }
      t = this.nextT;
    }
    this.appliedShift = shift;
    if (!samples.length) return;
    // Keep the PCM continuous across timestamp rounding and small overlaps (a packet decoded after a later one never
    // moves time back); a real gap (loss, DTX) starts again at its own time.
    if (this.nextT !== undefined && t < this.nextT + 0.005) t = this.nextT;
    this.nextT = t + samples.length / 16000;
    this.opts.onAudio({ t, samples });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.opus.free();
  }
}

/** Audio's shift onto the video track's timing from their sender reports (0 until both have one). */
export function senderReportShift(video: RtpClock, audio: RtpClock): number {
  const v = video.ntpOffsetS;
  const a = audio.ntpOffsetS;
  return v === undefined || a === undefined ? 0 : v - a;
}

/** What a source built from these receivers announces: video at the analysis size, Opus as 16 kHz PCM. */
export function receivedSourceInfo(
  kind: 'whip' | 'call',
  opts: { streamId: string; room: string; width: number; height: number },
  video: string | null,
  audio: boolean,
): SourceInfo {
  return {
    kind,
    streamId: opts.streamId,
    room: opts.room,
    video: video ? { codec: video, width: opts.width, height: opts.height } : null,
    audio: audio ? { codec: 'opus', sampleRate: 16000 } : null,
  };
}
