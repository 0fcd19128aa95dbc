/**
 * The local token per face per frame for the global-local encoder. The layout is the one the pipeline already
 * ships (frameAnalyzer.LOCAL_TOKEN_LAYOUT, LOCAL_TOKEN_DIM = 564 floats), re-exported here so producers and the
 * encoder agree on one definition:
 *   [0, 7)     ensemble expression probabilities (EXPRESSION_CLASSES order)
 *   [7, 14)    Human emotion net logits          [14, 21) face-api expression net logits
 *   [21, 36)   AU intensities 0..1 (AU_NAMES order)
 *   [36, 51)   AU velocities, per second, clamped to ±10 so a tracking glitch cannot dominate the token
 *   [51, 307)  emotion-net appearance embedding  [307, 563) face-api net appearance embedding
 *   [563]      one-sided lip-corner pull 0..1 (unilateral AU12/AU14: actionUnits.lipCornerAsymmetry)
 * Media time travels next to the token (`LocalToken.t`); the encoder adds its own sinusoidal time encoding.
 */
import type { ExpressionResult } from './expression.ts';
import { LOCAL_TOKEN_DIM, LOCAL_TOKEN_LAYOUT } from './frameAnalyzer.ts';

export { LOCAL_TOKEN_DIM, LOCAL_TOKEN_LAYOUT };

export interface LocalToken {
  trackId: number;
  /** media time, seconds */
  t: number;
  token: Float32Array;
}

const VMAX = 10;

function put(out: Float32Array, [from, to]: readonly [number, number], v: ArrayLike<number>, clamp = Infinity): void {
  const n = Math.min(to - from, v.length);
  for (let i = 0; i < n; i++) out[from + i] = Math.max(-clamp, Math.min(clamp, v[i]));
}

export function buildLocalToken(
  trackId: number,
  t: number,
  expression: ExpressionResult,
  au: ArrayLike<number>,
  auVelocity: ArrayLike<number>,
  asymmetry = 0,
  out = new Float32Array(LOCAL_TOKEN_DIM),
): LocalToken {
  const L = LOCAL_TOKEN_LAYOUT;
  put(out, L.probs, expression.probs);
  put(out, L.emotionLogits, expression.emotion.logits);
  put(out, L.faceExpressionLogits, expression.faceExpression.logits);
  put(out, L.au, au);
  put(out, L.auVelocity, auVelocity, VMAX);
  put(out, L.emotionEmbedding, expression.emotion.embedding);
  put(out, L.faceExpressionEmbedding, expression.faceExpression.embedding);
  out[L.asymmetry[0]] = Math.max(0, Math.min(1, asymmetry));
  return { trackId, t, token: out };
}
