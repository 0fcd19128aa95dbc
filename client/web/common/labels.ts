import type { EmotionClass, EmotionProbs, ExpressionClass, ExpressionProbs } from '../../../src/events/schema.ts';

/**
 * One colour per class. Typed as a Record over the schema's class union so that a class added to the schema fails
 * type-checking here instead of silently missing from the charts (the schema's value lists are not imported: they
 * would pull zod into every page bundle).
 */
export const EMOTION_COLOURS: Record<EmotionClass, string> = {
  neutral: '#9aa0a6',
  happy: '#f4b400',
  sad: '#4285f4',
  angry: '#db4437',
  fearful: '#8e44ad',
  disgusted: '#0f9d58',
  surprised: '#ff6d00',
  contempt: '#795548',
};
export const EXPRESSION_CLASSES = Object.keys(EMOTION_COLOURS).filter((c) => c !== 'contempt') as ExpressionClass[];

/** The most probable class and its probability. */
export function topClass<K extends string>(probs: Record<K, number>): { label: K; p: number } {
  let best: { label: K; p: number } = { label: Object.keys(probs)[0] as K, p: -1 };
  for (const [label, p] of Object.entries(probs) as [K, number][]) if (p > best.p) best = { label, p };
  return best;
}

export type Probs = ExpressionProbs | EmotionProbs;

export const pct = (x: number) => `${Math.round(x * 100)}%`;
export const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
