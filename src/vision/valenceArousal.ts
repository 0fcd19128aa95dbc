/**
 * Valence and arousal of a face from its expression probabilities: the probability-weighted mean of each class's
 * position on Russell's circumplex (Russell 1980; coordinates as used by AffectNet-style annotation, rounded).
 */
import type { ExpressionProbs } from '../events/schema.ts';

export const CLASS_VA: Record<keyof ExpressionProbs, [number, number]> = {
  neutral: [0, 0],
  happy: [0.8, 0.5],
  sad: [-0.7, -0.4],
  angry: [-0.6, 0.7],
  fearful: [-0.6, 0.6],
  disgusted: [-0.7, 0.3],
  surprised: [0.3, 0.8],
};

export function valenceArousal(probs: ExpressionProbs): { valence: number; arousal: number } {
  let v = 0;
  let a = 0;
  let s = 0;
  for (const [k, [cv, ca]] of Object.entries(CLASS_VA) as [keyof ExpressionProbs, [number, number]][]) {
    v += probs[k] * cv;
    a += probs[k] * ca;
    s += probs[k];
  }
  const clamp = (x: number) => Math.round(Math.max(-1, Math.min(1, x)) * 1000) / 1000;
  return s > 0 ? { valence: clamp(v / s), arousal: clamp(a / s) } : { valence: 0, arousal: 0 };
}
