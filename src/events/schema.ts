/**
 * Event schema v1: the one definition of every event that leaves a stream's pipeline.
 * Server, client SDK, recorder and tests all validate against this module.
 */
import { z } from 'zod';

/** The 7 classes of the pretrained expression nets (per frame). */
export const EXPRESSION_CLASSES = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;
/** The 8 classes of the utterance-level emotion head (the 7 + contempt, which only AU evidence can give). */
export const EMOTION_CLASSES = [...EXPRESSION_CLASSES, 'contempt'] as const;
/** Action units estimated from the face mesh (AU23 stands for AU23/24 lip tightening/pressing). */
export const AU_NAMES = [
  'AU1',
  'AU2',
  'AU4',
  'AU5',
  'AU6',
  'AU7',
  'AU9',
  'AU12',
  'AU15',
  'AU17',
  'AU20',
  'AU23',
  'AU25',
  'AU26',
  'AU45',
] as const;
export const FACE_REGIONS = ['brows', 'eyes', 'nose', 'mouth', 'jaw'] as const;
export const STREAM_SOURCES = ['whip', 'call', 'file'] as const;
export const END_REASONS = [
  'deleted',
  'left',
  'ice-failed',
  'timeout',
  'disconnected',
  'shutdown',
  'eof',
  'error',
] as const;

export type ExpressionClass = (typeof EXPRESSION_CLASSES)[number];
export type EmotionClass = (typeof EMOTION_CLASSES)[number];
export type AuName = (typeof AU_NAMES)[number];
export type FaceRegion = (typeof FACE_REGIONS)[number];

const prob = z.number().min(0).max(1);
const signedUnit = z.number().min(-1).max(1);
const mediaTime = z.number().finite().min(0);

function probsOf<const T extends readonly [string, ...string[]]>(names: T) {
  return z.object(Object.fromEntries(names.map((n) => [n, prob])) as { [K in T[number]]: typeof prob });
}
export const expressionProbsSchema = probsOf(EXPRESSION_CLASSES);
export const emotionProbsSchema = probsOf(EMOTION_CLASSES);
export const auSchema = z.object(Object.fromEntries(AU_NAMES.map((n) => [n, prob])) as { [K in AuName]: typeof prob });

export const boxSchema = z.object({ x: z.number(), y: z.number(), w: z.number().min(0), h: z.number().min(0) });
export const headPoseSchema = z.object({ yaw: z.number(), pitch: z.number(), roll: z.number() });

const base = {
  v: z.literal(1),
  streamId: z.string().min(1),
  room: z.string().min(1),
  seq: z.number().int().min(0),
  /** media time in seconds on the stream's own clock */
  t: mediaTime,
  /** wall-clock time in ms since the epoch, for display only */
  wall: z.number(),
};

export const streamStartedSchema = z.object({
  ...base,
  type: z.literal('stream.started'),
  source: z.enum(STREAM_SOURCES),
  video: z
    .object({ codec: z.string(), width: z.number().int().optional(), height: z.number().int().optional() })
    .nullable(),
  audio: z.object({ codec: z.string(), sampleRate: z.number().int() }).nullable(),
});

export const streamEndedSchema = z.object({
  ...base,
  type: z.literal('stream.ended'),
  reason: z.enum(END_REASONS),
  message: z.string().optional(),
});

export const streamHealthSchema = z.object({
  ...base,
  type: z.literal('stream.health'),
  fpsIn: z.number().min(0),
  fpsAnalysed: z.number().min(0),
  /** frames that also ran the global branch (body pose, scene motion) per second: below fpsAnalysed when degraded */
  fpsGlobal: z.number().min(0).optional(),
  /**
   * frames per second whose faces ran both expression nets: below fpsAnalysed when the face branch alternates its
   * two nets under load (its last step before dropping frames)
   */
  fpsFullFace: z.number().min(0).optional(),
  framesDropped: z.number().int().min(0),
  dropRatio: prob,
  queueDepth: z.number().int().min(0),
  faceFrameHz: z.number().min(0),
  degraded: z.boolean(),
});

export const utteranceStartSchema = z.object({
  ...base,
  type: z.literal('utterance.start'),
  utteranceId: z.string().min(1),
  /** true when a long monologue was split at the maximum length and this part continues the previous one */
  continuation: z.boolean().default(false),
  trackId: z.number().int().nullable().default(null),
});

/** The utterance's prosody (src/audio/prosodyAnalyzer.ts): Hz, dBFS, syllable nuclei/s, jitter/shimmer fractions. */
export const utteranceProsodySchema = z.object({
  f0Mean: z.number().nullable(),
  f0Median: z.number().nullable(),
  /** 5th and 95th percentile F0, Hz, and that range in semitones */
  f0Min: z.number().nullable(),
  f0Max: z.number().nullable(),
  f0RangeSt: z.number().nullable(),
  /** median level of the voiced frames, dBFS */
  energyDb: z.number().nullable(),
  rate: z.number().min(0),
  nuclei: z.number().int().min(0),
  jitter: z.number().nullable(),
  shimmer: z.number().nullable(),
  voicedRatio: prob,
  /** against the speaker's baseline before the utterance; null until there is one */
  relative: z.object({
    f0Pct: z.number().nullable(),
    energyDb: z.number().nullable(),
    ratePct: z.number().nullable(),
    jitterRatio: z.number().nullable(),
    shimmerRatio: z.number().nullable(),
  }),
  /** e.g. "pitch rose 30 % above baseline at 12.4 s", "speech rate 5.1 syll/s, fast" */
  cues: z.array(z.string()),
});

export const utteranceEndSchema = z.object({
  ...base,
  type: z.literal('utterance.end'),
  utteranceId: z.string().min(1),
  start: mediaTime,
  end: mediaTime,
  continuation: z.boolean().default(false),
  trackId: z.number().int().nullable().default(null),
  /** optional: absent when the audio branch computes no prosody */
  prosody: utteranceProsodySchema.optional(),
});

export const faceSchema = z.object({
  trackId: z.number().int().min(0),
  box: boxSchema,
  score: prob,
  headPose: headPoseSchema,
  gaze: z.object({ x: z.number(), y: z.number() }).optional(),
  expression: expressionProbsSchema,
  au: auSchema,
  valence: signedUnit,
  arousal: signedUnit,
  speaking: z.boolean().optional(),
});

export const faceFrameSchema = z.object({
  ...base,
  type: z.literal('face.frame'),
  faces: z.array(faceSchema),
});

export const microexpressionSchema = z.object({
  ...base,
  type: z.literal('microexpression'),
  trackId: z.number().int().min(0),
  onset: mediaTime,
  apex: mediaTime,
  offset: mediaTime,
  durationMs: z.number().min(0),
  kind: z.enum(['micro', 'macro']),
  regions: z.array(z.enum(FACE_REGIONS)),
  aus: z.array(z.enum(AU_NAMES)),
  intensity: prob,
  expressionAtApex: z.enum(EXPRESSION_CLASSES),
});

export const descriptorSchema = z.object({ word: z.string().min(1), score: prob });

export const emotionSchema = z.object({
  ...base,
  type: z.literal('emotion'),
  /** null for windowed events of faces that are not speaking */
  utteranceId: z.string().min(1).nullable(),
  start: mediaTime,
  end: mediaTime,
  final: z.boolean(),
  trackId: z.number().int().min(0).nullable(),
  label: z.enum(EMOTION_CLASSES),
  probs: emotionProbsSchema,
  valence: signedUnit,
  arousal: signedUnit,
  confidence: prob,
  descriptors: z.array(descriptorSchema),
  cues: z.object({ visual: z.array(z.string()), acoustic: z.array(z.string()) }),
  explanation: z.string(),
  context: z.object({
    label: z.enum(EMOTION_CLASSES),
    probs: emotionProbsSchema,
    valence: signedUnit,
    arousal: signedUnit,
  }),
});

export const eventSchema = z.discriminatedUnion('type', [
  streamStartedSchema,
  streamEndedSchema,
  streamHealthSchema,
  utteranceStartSchema,
  utteranceEndSchema,
  faceFrameSchema,
  microexpressionSchema,
  emotionSchema,
]);

export type MicroEmoEvent = z.infer<typeof eventSchema>;
export type EventType = MicroEmoEvent['type'];
export type EventOf<T extends EventType> = Extract<MicroEmoEvent, { type: T }>;
/** What a producer supplies: everything but the envelope the bus stamps (v, streamId, room, seq, wall). */
export type EventPayload<T extends EventType> = Omit<EventOf<T>, 'v' | 'type' | 'streamId' | 'room' | 'seq' | 'wall'>;
export const EVENT_TYPES = eventSchema.options.map((o) => o.shape.type.value) as EventType[];

export type Face = z.infer<typeof faceSchema>;
export type ExpressionProbs = z.infer<typeof expressionProbsSchema>;
export type EmotionProbs = z.infer<typeof emotionProbsSchema>;
export type AuIntensities = z.infer<typeof auSchema>;

export class EventValidationError extends Error {
  constructor(
    readonly type: string,
    readonly issues: string,
  ) {
    super(`invalid ${type} event: ${issues}`);
    this.name = 'EventValidationError';
  }
}

/** Parses an unknown value as a v1 event; throws EventValidationError naming the first bad fields. */
export function parseEvent(value: unknown): MicroEmoEvent {
  const r = eventSchema.safeParse(value);
  if (r.success) return r.data;
  const type = typeof value === 'object' && value && 'type' in value ? String(value.type) : 'unknown';
  throw new EventValidationError(
    type,
    r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; '),
  );
}
