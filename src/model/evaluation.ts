/**
 * `microemo eval`: scores labelled clips with the core model under each ablation mode and reports accuracy, UAR,
 * WAR, macro-F1 and the confusion matrix per mode, so the contribution of each of the paper's two ideas
 * (timestamp-bound global-local fusion, utterance-aware pooling) shows on the same clips:
 *   (a) frameMean    mean of the per-frame expression-net probabilities (no model)
 *   (b) globalOnly   local tokens zeroed: the model sees only global frame tokens (+ prosody)
 *   (c) localOnly    no global tokens in the encoder's window
 *   (d) fixedWindows global-local, spans of fixed 2 s windows instead of the VAD's utterances
 *   (e) full         the whole model
 * A clip without a face is counted as predicted neutral (it cannot be skipped without flattering the numbers).
 */
import { EMOTION_CLASSES } from '../events/schema.ts';
import { ABLATIONS, type Ablation, type ClipFeatures, type CoreModel } from './coreModel.ts';
import { type ClassificationReport, classificationReport, formatConfusion } from './metrics.ts';

export const ABLATION_TITLES: Record<Ablation, string> = {
  frameMean: '(a) frame-mean expression',
  globalOnly: '(b) global tokens only',
  localOnly: '(c) local tokens only',
  fixedWindows: '(d) fixed 2 s windows',
  full: '(e) full model',
};

export interface EvalRow {
  mode: Ablation;
  report: ClassificationReport;
  /** predicted class index per clip (input order) */
  predictions: number[];
}

export interface EvalResult {
  clips: number;
  rows: EvalRow[];
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

export async function evaluateClips(
  model: CoreModel,
  clips: readonly { features: ClipFeatures; label: number }[],
  modes: readonly Ablation[] = ABLATIONS,
  onStep?: (done: number, total: number, mode: Ablation) => void,
): Promise<EvalResult> {
  const rows: EvalRow[] = [];
  const truth = clips.map((c) => c.label);
  let done = 0;
  for (const mode of modes) {
    const predictions: number[] = [];
    for (const c of clips) {
      const p = await model.scoreClip(c.features, mode);
      predictions.push(p ? argmax(p) : 0);
      onStep?.(++done, modes.length * clips.length, mode);
    }
    rows.push({ mode, predictions, report: classificationReport(truth, predictions, EMOTION_CLASSES.length) });
  }
  return { clips: clips.length, rows };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`.padStart(6);

/** The ablation table and the full model's confusion matrix, as printed by `microemo eval`. */
export function formatEval(r: EvalResult): string {
  const lines = [`${r.clips} clips`, '', `${'mode'.padEnd(28)}   acc    UAR    WAR  macroF1`];
  for (const row of r.rows) {
    const m = row.report;
    lines.push(
      `${ABLATION_TITLES[row.mode].padEnd(28)}${pct(m.accuracy)} ${pct(m.uar)} ${pct(m.war)} ${pct(m.macro_f1)}`,
    );
  }
  const main = r.rows.find((x) => x.mode === 'full') ?? r.rows[r.rows.length - 1];
  if (main) {
    lines.push('', `confusion matrix, ${ABLATION_TITLES[main.mode]} (rows: true, columns: predicted)`);
    lines.push(formatConfusion(main.report.confusion, EMOTION_CLASSES));
  }
  return lines.join('\n');
}
