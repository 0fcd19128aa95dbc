/**
 * Options and shapes of the MicroEmo core model (global-local encoder → utterance-aware Q-Former → emotion head).
 *
 * Shapes (D = dModel, H = heads, dh = D/H, Q = queries, L_e / L_q = encoder / Q-Former layers, F = ffn width):
 *   local input token   [LOCAL_INPUT_DIM = 564]   per face per frame   (tokens.ts)
 *   global input token  [GLOBAL_BASE_DIM + imageEmbeddingDim]  per frame (tokens.ts)
 *   prosody input token [PROSODY_INPUT_DIM = 8]   per 32 ms audio hop  (tokens.ts)
 *   every token → projection to D + sinusoidal time encoding (timeEncoding.ts) → encoder / Q-Former
 *   encoder: fused local token [D] = local attends to globals within [t − windowBeforeS, t + windowAfterS]
 *   Q-Former: Q queries × memory [N, D] → utterance tokens [Q, D]; context memory → context tokens [Q, D]
 *   head: (utterance tokens, context tokens) → 8 probabilities, valence, arousal, confidence
 *
 * The residual stream of every token has a fixed *meaning* for its first dims (RESIDUAL below) so that the default
 * weights (defaultWeights.ts) can route evidence through the graphs without training; trained weights may use all
 * dims freely. The time encodings live in the last `timeDims` dims.
 */
import { z } from 'zod';

export const modelOptionsSchema = z
  .object({
    /** width of every token inside the model */
    dModel: z.number().int().min(32).default(128),
    heads: z.number().int().min(1).default(4),
    /** Q-Former learned queries */
    queries: z.number().int().min(1).default(8),
    encoderLayers: z.number().int().min(1).max(4).default(1),
    qformerLayers: z.number().int().min(1).max(4).default(1),
    /** hidden width of the feed-forward blocks */
    ffnDim: z.number().int().min(8).default(64),
    /** dims at the end of each token holding the two sinusoidal clocks (half stream time, half utterance time) */
    timeDims: z.number().int().min(4).default(32),
    /** a local token attends to the global tokens within [t − before, t + after] seconds */
    windowBeforeS: z.number().min(0).default(2),
    windowAfterS: z.number().min(0).default(2),
    /** width of the optional ONNX image-encoder embedding appended to the global token (0 = none) */
    imageEmbeddingDim: z.number().int().min(0).default(0),
  })
  .refine((o) => o.dModel % o.heads === 0, { message: 'dModel must be a multiple of heads' })
  .refine((o) => o.timeDims % 4 === 0 && o.timeDims < o.dModel, {
    message: 'timeDims must be a multiple of 4 below dModel',
  });

export type ModelOptions = z.infer<typeof modelOptionsSchema>;
export type ModelOptionsInput = z.input<typeof modelOptionsSchema>;

export function modelOptions(input: ModelOptionsInput = {}): ModelOptions {
  return modelOptionsSchema.parse(input);
}

/**
 * Meaning of the first dims of the residual stream under the default weights (and the layout the pooled head reads).
 * All ranges are [from, to).
 */
export const RESIDUAL = {
  /** ensemble expression probabilities, EXPRESSION_CLASSES order */
  probs: [0, 7],
  /** FACS prototype scores per EMOTION_CLASSES class (slot 0, neutral, stays 0), computed by the encoder's FFN */
  proto: [7, 15],
  /** 1 − p(neutral): how expressive the frame is */
  expressive: [15, 16],
  /** mean |AU velocity| (per second, /10): facial dynamics, computed by the encoder's FFN */
  dynamics: [16, 17],
  /** AU intensities, AU_NAMES order */
  au: [17, 32],
  /** windowed mean of the global context: head pose (3), face position (3), motion (2) — from encoder attention */
  globalCtx: [32, 40],
  /** prosody features (prosody tokens only), PROSODY layout */
  prosody: [40, 48],
  /** token type indicators: local (face) / prosody / summary / global (frame) */
  type: [48, 52],
  /** AU velocities (per second, /10) */
  auVelocity: [52, 67],
  /** one-sided lip-corner pull 0..1 (unilateral AU12/AU14: contempt), from the local token */
  asymmetry: [67, 68],
} as const;
export const TYPE_LOCAL = 48;
export const TYPE_PROSODY = 49;
export const TYPE_SUMMARY = 50;
export const TYPE_GLOBAL = 51;
/** The first dim free for learned content (defaults leave [RESIDUAL_USED, D − timeDims) at 0). */
export const RESIDUAL_USED = 68;

export function headDim(o: ModelOptions): number {
  return o.dModel / o.heads;
}
