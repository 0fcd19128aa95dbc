/**
 * Input token contracts of the core model (what the encoder and Q-Former accept) and adapters from the other
 * modules' outputs. Every token travels with its media time `t` (seconds on the stream clock).
 *
 * LOCAL token, per face per frame, LOCAL_INPUT_DIM = 564 floats — the layout src/vision/localToken.ts produces
 * (mirrored here because src/model must not import src/vision; test/model/encoder.test.ts checks they agree):
 *   [0, 7) ensemble expression probs · [7, 14) Human emotion-net logits · [14, 21) face-api logits
 *   [21, 36) AU intensities 0..1 (AU_NAMES order) · [36, 51) AU velocities /s (±10)
 *   [51, 307) emotion-net embedding · [307, 563) face-api embedding
 *   [563] one-sided lip-corner pull 0..1 (unilateral AU12/AU14, contempt's action; src/vision/actionUnits.ts)
 *
 * GLOBAL token, per frame, GLOBAL_BASE_DIM = 62 floats + the optional image-encoder embedding:
 *   [0, 60) the vision global frame token (src/vision/frameAnalyzer GLOBAL_TOKEN_LAYOUT: head pose /90° (3),
 *           largest face centre x, y and height (3), face count / maxFaces (1), scene + body motion (2),
 *           17 movenet keypoints × (x, y, score) (51))
 *   [60, 62) gaze x, y of the largest face (0 when unknown)
 *   [62, 62 + imageEmbeddingDim) the ONNX image encoder's embedding (imageEncoder.ts), when configured
 *
 * PROSODY token, per 32 ms audio hop, PROSODY_INPUT_DIM = 8 floats (prosodyTokens.ts):
 *   [0] speech probability · [1] energy, dB above the stream's running median / 20 · [2] F0, semitones above the
 *   stream's voiced median / 12 (0 when unvoiced) · [3] voiced 0/1 · [4] energy slope (dB/20 per second / 10) ·
 *   [5] F0 slope (semitones/12 per second / 10) · [6] log2(F0 / 150 Hz) (0 when unvoiced) · [7] speaking-rate
 *   proxy: syllable nuclei (src/audio/speakingRate.ts) per second over the last second / 8
 */

export const LOCAL_INPUT_DIM = 564;
export const LOCAL_INPUT = {
  probs: [0, 7],
  emotionLogits: [7, 14],
  faceExpressionLogits: [14, 21],
  au: [21, 36],
  auVelocity: [36, 51],
  emotionEmbedding: [51, 307],
  faceExpressionEmbedding: [307, 563],
  asymmetry: [563, 564],
} as const;

export const VISION_GLOBAL_DIM = 60;
export const GLOBAL_BASE_DIM = 62;
export const GLOBAL_INPUT = {
  headPose: [0, 3],
  facePosition: [3, 6],
  faceCount: [6, 7],
  motion: [7, 9],
  body: [9, 60],
  gaze: [60, 62],
} as const;

export const PROSODY_INPUT_DIM = 8;
export const PROSODY_INPUT = {
  speech: 0,
  energy: 1,
  f0: 2,
  voiced: 3,
  energySlope: 4,
  f0Slope: 5,
  logF0: 6,
  rate: 7,
} as const;

export function globalInputDim(o: { imageEmbeddingDim: number }): number {
  return GLOBAL_BASE_DIM + o.imageEmbeddingDim;
}

export interface TimedToken {
  /** media time, seconds */
  t: number;
  token: Float32Array;
}

export interface LocalInput extends TimedToken {
  trackId: number;
}

/** A local token from src/vision (VisionResult.localTokens[i].token): validated, used as is. */
export function localInput(trackId: number, t: number, token: Float32Array): LocalInput {
  if (token.length !== LOCAL_INPUT_DIM)
    throw new Error(`local token has ${token.length} floats, expected ${LOCAL_INPUT_DIM}`);
  return { trackId, t, token };
}

/**
 * The global input token of a frame from the vision global token (VisionResult.globalToken, 60 floats, or null when
 * the global branch skipped the frame: the caller then has no global token for it), the largest face's gaze and an
 * optional image embedding.
 */
export function globalInput(
  t: number,
  visionGlobal: Float32Array,
  o: { imageEmbeddingDim: number },
  gaze?: { x: number; y: number },
  imageEmbedding?: Float32Array,
): TimedToken {
  if (visionGlobal.length !== VISION_GLOBAL_DIM) {
    throw new Error(`vision global token has ${visionGlobal.length} floats, expected ${VISION_GLOBAL_DIM}`);
  }
  const out = new Float32Array(globalInputDim(o));
  out.set(visionGlobal, 0);
  if (gaze) {
    out[GLOBAL_INPUT.gaze[0]] = gaze.x;
    out[GLOBAL_INPUT.gaze[0] + 1] = gaze.y;
  }
  if (imageEmbedding && imageEmbedding.length !== o.imageEmbeddingDim) {
    throw new Error(
      `image embedding has ${imageEmbedding.length} floats, the model expects imageEmbeddingDim ${o.imageEmbeddingDim}`,
    );
  }
  if (o.imageEmbeddingDim > 0 && imageEmbedding) {
    out.set(imageEmbedding, GLOBAL_BASE_DIM);
  }
  return { t, token: out };
}

/** Largest face's gaze among face observations (src/vision face.frame faces), if any carries one. */
export function mainGaze(
  faces: readonly { box: { w: number; h: number }; gaze?: { x: number; y: number } }[],
): { x: number; y: number } | undefined {
  let best: (typeof faces)[number] | undefined;
  for (const f of faces) if (!best || f.box.w * f.box.h > best.box.w * best.box.h) best = f;
  return best?.gaze;
}
