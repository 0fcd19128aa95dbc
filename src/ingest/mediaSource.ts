/**
 * What every source (WHIP session, call participant, file) hands to analysis: decoded, timestamped video frames
 * and 16 kHz mono PCM on one per-stream media clock, plus its end. The pipeline consumes only this interface.
 */
import type { EventEmitter } from 'node:events';
import type { END_REASONS } from '../events/schema.ts';

export type StreamSourceKind = 'whip' | 'call' | 'file';
export type EndReason = (typeof END_REASONS)[number];

export interface VideoFrame {
  /** capture media time of the frame, seconds on the stream clock */
  t: number;
  width: number;
  height: number;
  /** packed RGB24, row-major, width*height*3 bytes (a view into a pooled buffer: copy to keep it past the callback) */
  rgb: Uint8Array;
  /** frame counter from the decoder (0, 1, …), for drop accounting */
  index: number;
}

export interface AudioChunk {
  /** capture media time of the first sample, seconds on the stream clock */
  t: number;
  /** 16 kHz mono float32 in [-1, 1] */
  samples: Float32Array;
}

export interface SourceInfo {
  kind: StreamSourceKind;
  streamId: string;
  room: string;
  video: { codec: string; width?: number; height?: number } | null;
  audio: { codec: string; sampleRate: number } | null;
}

export interface MediaSourceEvents {
  video: [frame: VideoFrame];
  audio: [chunk: AudioChunk];
  /** one track has no more media (e.g. a file's audio is shorter than its video); the other may go on */
  trackEnd: [kind: 'audio' | 'video'];
  /** emitted once; no media after it */
  end: [reason: EndReason, message?: string];
}

/** A typed emitter of decoded media. `stop()` ends it (reason 'deleted' unless given) and frees its processes. */
export interface MediaSource extends EventEmitter<MediaSourceEvents> {
  readonly info: SourceInfo;
  stop(reason?: EndReason, message?: string): Promise<void>;
  /**
   * Sources that can wait (files read as fast as possible) implement these so that a busy pipeline slows the
   * reader instead of dropping frames; live sources cannot wait and leave them out (the pipeline drops instead).
   */
  pause?(): void;
  resume?(): void;
}
