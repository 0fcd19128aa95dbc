/**
 * Classification metrics over the 8 emotion classes (or any K): confusion matrix (rows = true class, columns =
 * predicted), accuracy, UAR (unweighted average recall: mean per-class recall over the classes present in the
 * truth), WAR (weighted average recall: recall weighted by class support, which equals accuracy), macro-F1 (mean F1
 * over classes present in the truth or the predictions; an absent-and-never-predicted class is left out rather than
 * counted as 0 or 1).
 */

export interface ClassificationReport {
  accuracy: number;
  uar: number;
  war: number;
  macro_f1: number;
  /** confusion[true][predicted] counts */
  confusion: number[][];
  /** per-class recall (NaN when the class has no true samples) */
  recall: number[];
  /** per-class F1 (NaN when the class is neither true nor predicted) */
  f1: number[];
  n: number;
}

/** Counts confusion[true][pred] over K classes. */
export function confusionMatrix(truth: readonly number[], pred: readonly number[], k: number): number[][] {
  if (truth.length !== pred.length) throw new Error(`${truth.length} labels but ${pred.length} predictions`);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = pred[i];
    if (!(t >= 0 && t < k && p >= 0 && p < k)) throw new Error(`class index out of range: true ${t}, predicted ${p}`);
    m[t][p]++;
  }
  return m;
}

/** All metrics from a confusion matrix. */
export function metricsFromConfusion(confusion: readonly (readonly number[])[]): ClassificationReport {
  const k = confusion.length;
  let n = 0;
  let correct = 0;
  const support = new Array<number>(k).fill(0);
  const predicted = new Array<number>(k).fill(0);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const c = confusion[i][j];
      n += c;
      support[i] += c;
      predicted[j] += c;
      if (i === j) correct += c;
    }
  }
  const recall = support.map((s, i) => (s > 0 ? confusion[i][i] / s : Number.NaN));
  const f1 = support.map((s, i) => {
    const tp = confusion[i][i];
    if (s === 0 && predicted[i] === 0) return Number.NaN;
    const denom = s + predicted[i];
    return denom > 0 ? (2 * tp) / denom : 0;
  });
  const mean = (xs: number[]) => {
    const v = xs.filter((x) => !Number.isNaN(x));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
  };
  const accuracy = n > 0 ? correct / n : 0;
  const war = n > 0 ? support.reduce((a, s, i) => a + (s > 0 ? (s / n) * recall[i] : 0), 0) : 0;
  return {
    accuracy,
    uar: mean(recall),
    war,
    macro_f1: mean(f1),
    confusion: confusion.map((r) => [...r]),
    recall,
    f1,
    n,
  };
}

export function classificationReport(
  truth: readonly number[],
  pred: readonly number[],
  k: number,
): ClassificationReport {
  return metricsFromConfusion(confusionMatrix(truth, pred, k));
}

/** A confusion matrix as aligned text rows (true class down, predicted across). */
export function formatConfusion(confusion: readonly (readonly number[])[], names: readonly string[]): string {
  const short = names.map((s) => s.slice(0, 5));
  const w = Math.max(5, ...confusion.flat().map((c) => String(c).length));
  const head = `${''.padEnd(10)}${short.map((s) => s.padStart(w + 1)).join('')}`;
  const rows = confusion.map(
    (r, i) => `${names[i].slice(0, 9).padEnd(10)}${r.map((c) => String(c).padStart(w + 1)).join('')}`,
  );
  return [head, ...rows].join('\n');
}
