/**
 * The three analysis branches a stream pipeline drives, as the pipeline sees them. Concrete adapters over
 * src/audio, src/vision and src/model implement these, so the wiring (ordering, backpressure, events) is
 * independent of how each branch computes.
 */
import type { AudioFinding } from '../audio/audioAnalyzer.ts';
import type { EventPayload } from '../events/schema.ts';
import type { AudioChunk } from '../ingest/mediaSource.ts';

export type { AudioFinding };

/** Per-stream audio analysis (VAD, segmenter, prosody), in the stream worker or in-process. */
export interface AudioBranch {
  push(chunk: AudioChunk): Promise<AudioFinding[]>;
  flush(): Promise<AudioFinding[]>;
  close(): void | Promise<void>;
}

export type FaceObservation = EventPayload<'face.frame'>['faces'][number];
export type MicroexpressionFinding = EventPayload<'microexpression'>;

/** What the vision worker returns for one analysed frame. */
export interface VisionResult {
  t: number;
  /** decoder frame index */
  index: number;
  faces: FaceObservation[];
  /** micro-expressions whose offset was confirmed on this frame */
  microexpressions: MicroexpressionFinding[];
  /** per face, the encoder's local token (appearance, expression logits, AUs and velocities) */
  localTokens: { trackId: number; token: Float32Array }[];
  /** frame-level global token (pose, gaze, geometry, body, motion), or null when the global branch was skipped */
  globalToken: Float32Array | null;
  /** the faces ran one expression net (VisionRequest.halfExpression) */
  halfExpression?: boolean;
  /** the optional image encoder's embedding of the frame (with the global token; null without either) */
  imageEmbedding: Float32Array | null;
  /** mouth-opening activity per track, for active-speaker association */
  mouthActivity: { trackId: number; value: number }[];
  /** milliseconds the worker spent on the frame */
  costMs: number;
  /** busy fraction of the worker (all its streams) over about the last second, 0..1 */
  workerLoad?: number;
  /** the request's pixel buffer, transferred back for the next frame (the pipeline takes it off the result) */
  rgb?: Uint8Array;
}

/** Per-frame request to the vision worker (the pixels travel as a transferred buffer). */
export interface VisionRequest {
  t: number;
  index: number;
  width: number;
  height: number;
  rgb: Uint8Array;
  /** run the global branch (body pose, scene motion) on this frame */
  global: boolean;
  /** run one of the two expression nets per face, alternating (the face branch's degraded mode, frameGate.ts) */
  halfExpression?: boolean;
  /** current speech probability, so that mouth motion that follows speech is not taken for expression */
  speaking: number;
}

export type EmotionPayload = EventPayload<'emotion'>;

/**
 * The model branch: consumes tokens as they come, answers with emotion payloads when they are due. The model runs
 * on onnxruntime (async), so answers are promises; the pipeline publishes them in the order it asked.
 */
export interface EmotionBranch {
  onVision(result: VisionResult): void;
  onAudio(finding: AudioFinding): void;
  /** the stream's PCM (16 kHz mono), for prosody */
  onPcm(chunk: AudioChunk): void;
  /** Partial (every second of an open utterance) and windowed (non-speaking faces) emotions due at media time t. */
  due(t: number): Promise<EmotionPayload[]>;
  /**
   * The final emotion(s) of an utterance, called once the video up to its end has been analysed; `t` is the media
   * time the end was decided (the event's time), start/end bound the utterance.
   */
  finalize(utterance: {
    utteranceId: string;
    start: number;
    end: number;
    trackId: number | null;
    t: number;
  }): Promise<EmotionPayload[]>;
  /** End of stream at media time t: frees the state; answers with the emotions of the last, incomplete window. */
  close(t: number): Promise<EmotionPayload[]>;
}
