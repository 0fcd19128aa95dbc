/**
 * Label spellings of labelled data sets (MEAD, CREMA-D, RAVDESS, FER, CK+ …) normalised to EMOTION_CLASSES, per
 * DESIGN.md: ANG/anger/angry → angry, DIS/disgust/disgusted → disgusted, FEA/fear/fearful → fearful,
 * HAP/happy/happiness → happy, NEU/neutral, SAD/sad/sadness → sad, SUR/surprise/surprised → surprised,
 * CON/contempt → contempt. Case and surrounding space are ignored.
 */
import { EMOTION_CLASSES, type EmotionClass } from '../events/schema.ts';

const SPELLINGS: Record<EmotionClass, readonly string[]> = {
  neutral: ['neu', 'neutral', 'calm'],
  happy: ['hap', 'happy', 'happiness', 'joy'],
  sad: ['sad', 'sadness'],
  angry: ['ang', 'anger', 'angry'],
  fearful: ['fea', 'fear', 'fearful', 'afraid'],
  disgusted: ['dis', 'disgust', 'disgusted'],
  surprised: ['sur', 'surprise', 'surprised'],
  contempt: ['con', 'contempt', 'contemptuous'],
};

const LOOKUP = new Map<string, EmotionClass>();
for (const c of EMOTION_CLASSES) for (const s of SPELLINGS[c]) LOOKUP.set(s, c);

/** The class of a label spelling, or null when it is not an emotion this model knows. */
export function normalizeLabel(raw: string): EmotionClass | null {
  return LOOKUP.get(raw.trim().toLowerCase()) ?? null;
}

/** Index of a class in EMOTION_CLASSES. */
export function classIndex(c: EmotionClass): number {
  return EMOTION_CLASSES.indexOf(c);
}
