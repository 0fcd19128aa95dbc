/**
 * Open-vocabulary emotion descriptors: emotion words placed in valence–arousal space, each with affinities to the
 * 8 emotion classes. The head's probabilities and valence/arousal select the best-fitting words.
 *
 * Sources of the coordinates (valence, arousal in [−1, 1]):
 *  - R: Russell, J. A. (1980). A circumplex model of affect. J. Personality and Social Psychology 39(6), 1161–1178.
 *    The 28 affect words' angles of the direct circular scaling solution (0° = pleasure, 90° = arousal), read from
 *    the paper's figure/table to about ±3°, placed at radius 0.85 (the solution is a circle).
 *  - W: Warriner, A. B., Kuperman, V., & Brysbaert, M. (2013). Norms of valence, arousal, and dominance for 13,915
 *    English lemmas. Behavior Research Methods 45, 1191–1207. Mean ratings (1–9) mapped by (x − 5) / 4, rounded to
 *    0.05 (approximate transcriptions).
 *  - S: Scherer, K. R. (2005). What are emotions? And how can they be measured? Social Science Information 44(4),
 *    695–729 — the Geneva Emotion Wheel's placement of the emotion families on the valence (pleasantness) ×
 *    control/power plane, used for the words Russell and Warriner leave ambiguous (contempt, shame, pride, …);
 *    arousal from the family's usual placement, approximate.
 * These are coarse placements; they order descriptors, they are not measurements of this model.
 */
import { EMOTION_CLASSES, type EmotionClass, type EmotionProbs } from '../events/schema.ts';

export interface LexiconEntry {
  word: string;
  valence: number;
  arousal: number;
  source: 'R' | 'W' | 'S';
  /** affinity 0..1 to each class that the word can describe */
  affinity: Partial<Record<EmotionClass, number>>;
}

const R = 0.85;
function russell(word: string, deg: number, affinity: LexiconEntry['affinity']): LexiconEntry {
  const a = (deg * Math.PI) / 180;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { word, valence: r2(R * Math.cos(a)), arousal: r2(R * Math.sin(a)), source: 'R', affinity };
}
function w(
  word: string,
  v: number,
  ar: number,
  affinity: LexiconEntry['affinity'],
  source: 'W' | 'S' = 'W',
): LexiconEntry {
  return { word, valence: v, arousal: ar, source, affinity };
}

export const LEXICON: readonly LexiconEntry[] = [
  // Russell (1980) circumplex words
  russell('happy', 7.8, { happy: 1 }),
  russell('delighted', 24.9, { happy: 1, surprised: 0.3 }),
  russell('excited', 48.6, { happy: 0.8, surprised: 0.5 }),
  russell('astonished', 69.8, { surprised: 1 }),
  russell('aroused', 73.8, { surprised: 0.5, happy: 0.3, angry: 0.3 }),
  russell('tense', 92.8, { fearful: 0.7, angry: 0.5 }),
  russell('alarmed', 96.5, { fearful: 1, surprised: 0.6 }),
  russell('angry', 99.0, { angry: 1 }),
  russell('afraid', 116.0, { fearful: 1 }),
  russell('annoyed', 123.0, { angry: 0.8, disgusted: 0.4, contempt: 0.3 }),
  russell('distressed', 137.6, { fearful: 0.6, sad: 0.6 }),
  russell('frustrated', 141.0, { angry: 0.8, sad: 0.4 }),
  russell('miserable', 188.7, { sad: 1 }),
  russell('sad', 207.5, { sad: 1 }),
  russell('gloomy', 209.3, { sad: 0.9 }),
  russell('depressed', 210.1, { sad: 0.9 }),
  russell('bored', 241.4, { neutral: 0.6, contempt: 0.3 }),
  russell('droopy', 256.7, { sad: 0.4, neutral: 0.5 }),
  russell('tired', 267.7, { neutral: 0.6, sad: 0.4 }),
  russell('sleepy', 271.9, { neutral: 0.6 }),
  russell('calm', 316.2, { neutral: 1 }),
  russell('relaxed', 318.0, { neutral: 0.9, happy: 0.4 }),
  russell('satisfied', 319.8, { happy: 0.6, neutral: 0.5 }),
  russell('at ease', 321.2, { neutral: 0.8, happy: 0.4 }),
  russell('content', 323.0, { happy: 0.6, neutral: 0.6 }),
  russell('serene', 328.6, { neutral: 0.8, happy: 0.4 }),
  // Warriner et al. (2013) norms
  w('cheerful', 0.8, 0.3, { happy: 1 }),
  w('joyful', 0.85, 0.4, { happy: 1 }),
  w('amused', 0.65, 0.35, { happy: 0.9, surprised: 0.2 }),
  w('pleased', 0.7, 0.1, { happy: 0.9 }),
  w('hopeful', 0.65, 0.1, { happy: 0.6, neutral: 0.3 }),
  w('interested', 0.45, 0.2, { neutral: 0.6, surprised: 0.4, happy: 0.3 }),
  w('surprised', 0.3, 0.55, { surprised: 1 }),
  w('amazed', 0.6, 0.55, { surprised: 1, happy: 0.4 }),
  w('startled', -0.15, 0.65, { surprised: 0.9, fearful: 0.5 }),
  w('terrified', -0.8, 0.75, { fearful: 1 }),
  w('anxious', -0.45, 0.45, { fearful: 0.9, sad: 0.3 }),
  w('nervous', -0.35, 0.5, { fearful: 0.8 }),
  w('worried', -0.5, 0.3, { fearful: 0.7, sad: 0.5 }),
  w('furious', -0.75, 0.75, { angry: 1 }),
  w('irritated', -0.55, 0.35, { angry: 0.8, disgusted: 0.3 }),
  w('hostile', -0.65, 0.5, { angry: 0.9, contempt: 0.4 }),
  w('disgusted', -0.7, 0.3, { disgusted: 1 }),
  w('revolted', -0.75, 0.4, { disgusted: 1 }),
  w('disappointed', -0.6, -0.05, { sad: 0.8, contempt: 0.2 }),
  w('lonely', -0.65, -0.25, { sad: 0.9 }),
  w('composed', 0.3, -0.3, { neutral: 1 }),
  w('indifferent', -0.05, -0.45, { neutral: 0.8, contempt: 0.4 }),
  // Scherer (2005) Geneva Emotion Wheel families
  w('contemptuous', -0.55, 0.15, { contempt: 1 }, 'S'),
  w('scornful', -0.6, 0.25, { contempt: 1, disgusted: 0.4 }, 'S'),
  w('disdainful', -0.5, 0.1, { contempt: 1, disgusted: 0.3 }, 'S'),
  w('proud', 0.65, 0.3, { happy: 0.6, contempt: 0.2 }, 'S'),
  w('ashamed', -0.6, -0.1, { sad: 0.7, fearful: 0.2 }, 'S'),
  w('guilty', -0.6, 0.05, { sad: 0.7, fearful: 0.3 }, 'S'),
  w('relieved', 0.6, -0.35, { happy: 0.7, neutral: 0.4 }, 'S'),
];

/**
 * Valence/arousal of each class (its class word's placement above): used by the default head's valence–arousal
 * mapping. neutral at the origin; contempt from Scherer's placement of 'contemptuous'.
 */
export const CLASS_VA: Record<EmotionClass, { valence: number; arousal: number }> = (() => {
  const word: Record<EmotionClass, string | null> = {
    neutral: null,
    happy: 'happy',
    sad: 'sad',
    angry: 'angry',
    fearful: 'afraid',
    disgusted: 'disgusted',
    surprised: 'surprised',
    contempt: 'contemptuous',
  };
  const out = {} as Record<EmotionClass, { valence: number; arousal: number }>;
  for (const c of EMOTION_CLASSES) {
    const e = word[c] ? LEXICON.find((x) => x.word === word[c]) : undefined;
    out[c] = e ? { valence: e.valence, arousal: e.arousal } : { valence: 0, arousal: 0 };
  }
  return out;
})();

export interface Descriptor {
  word: string;
  score: number;
}

/**
 * Top descriptors: score = (Σ_c p_c · affinity_wc) · exp(−d² / (2σ²)), d the distance between the word and the
 * predicted (valence, arousal); both factors are in [0, 1], so the score is too.
 */
export function describe(
  probs: EmotionProbs,
  va: { valence: number; arousal: number },
  opts: { top?: number; sigma?: number } = {},
): Descriptor[] {
  const top = opts.top ?? 3;
  const s2 = 2 * (opts.sigma ?? 0.5) ** 2;
  const scored = LEXICON.map((e) => {
    let aff = 0;
    for (const c of EMOTION_CLASSES) aff += probs[c] * (e.affinity[c] ?? 0);
    const d2 = (e.valence - va.valence) ** 2 + (e.arousal - va.arousal) ** 2;
    return { word: e.word, score: Math.min(1, Math.max(0, aff * Math.exp(-d2 / s2))) };
  });
  scored.sort((a, b) => b.score - a.score || (a.word < b.word ? -1 : 1));
  return scored.slice(0, top).map((d) => ({ word: d.word, score: Math.round(d.score * 1000) / 1000 }));
}
