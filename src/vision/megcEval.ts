/**
 * MEGC-style spotting evaluation (Micro-Expression Grand Challenge, CAS(ME)² / SAMM long videos): a spotted interval
 * is a true positive when its IoU with a not-yet-matched ground-truth interval of the same video is ≥ 0.5; other
 * spotted intervals are false positives, unmatched ground truth false negatives. Scores are pooled over videos.
 * Greedy matching by descending IoU: with the 0.5 threshold each interval can overlap at most one other above it in
 * practice, so greedy equals optimal assignment here.
 */
export interface Interval {
  /** onset and offset, seconds (or frames — any one unit) */
  onset: number;
  offset: number;
  /** optional video key; intervals only match within the same video */
  video?: string;
}

export interface MegcScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export function intervalIou(a: Interval, b: Interval): number {
  const inter = Math.max(0, Math.min(a.offset, b.offset) - Math.max(a.onset, b.onset));
  const union = Math.max(a.offset, b.offset) - Math.min(a.onset, b.onset);
  return union > 0 ? inter / union : a.onset === b.onset && a.offset === b.offset ? 1 : 0;
}

export function megcEvaluate(spotted: readonly Interval[], truth: readonly Interval[], iouThreshold = 0.5): MegcScore {
  const pairs: [number, number, number][] = [];
  spotted.forEach((s, i) => {
    truth.forEach((g, j) => {
      if ((s.video ?? '') !== (g.video ?? '')) return;
      const v = intervalIou(s, g);
      if (v >= iouThreshold) pairs.push([v, i, j]);
    });
  });
  pairs.sort((a, b) => b[0] - a[0]);
  const usedS = new Set<number>();
  const usedG = new Set<number>();
  for (const [, i, j] of pairs) {
    if (usedS.has(i) || usedG.has(j)) continue;
    usedS.add(i);
    usedG.add(j);
  }
  const tp = usedS.size;
  const fp = spotted.length - tp;
  const fn = truth.length - tp;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, fn, precision, recall, f1 };
}
