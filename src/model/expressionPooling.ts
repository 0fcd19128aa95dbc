/**
 * The baseline emotion of a span: the mean of the per-frame expression-net probabilities of one face over the
 * span (ablation (a) of `microemo eval`), mapped to the 8 emotion classes (contempt gets no mass: neither net has
 * it). Also the fallback the live pipeline uses when no trained/initialised model is configured.
 */
import { EMOTION_CLASSES, type EmotionProbs, type ExpressionProbs } from '../events/schema.ts';

export function meanExpression(frames: readonly ExpressionProbs[]): EmotionProbs | null {
  if (frames.length === 0) return null;
  const out = Object.fromEntries(EMOTION_CLASSES.map((c) => [c, 0])) as EmotionProbs;
  for (const f of frames) for (const k of Object.keys(f) as (keyof ExpressionProbs)[]) out[k] += f[k] / frames.length;
  for (const c of EMOTION_CLASSES) out[c] = Math.min(1, Math.max(0, Math.round(out[c] * 10000) / 10000));
  return out;
}

export function topLabel(probs: EmotionProbs): (typeof EMOTION_CLASSES)[number] {
  let best: (typeof EMOTION_CLASSES)[number] = 'neutral';
  for (const c of EMOTION_CLASSES) if (probs[c] > probs[best]) best = c;
  return best;
}
