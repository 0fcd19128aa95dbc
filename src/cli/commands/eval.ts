/**
 * `microemo eval --data <dir> [--weights f] [--json]`: accuracy, UAR, WAR, macro-F1 and the confusion matrix of the
 * core model on labelled clips, with the ablation table (frame-mean, global only, local only, fixed windows, full).
 */
import type { Command } from 'commander';
import { EMOTION_CLASSES } from '../../events/schema.ts';
import { ABLATIONS } from '../../model/coreModel.ts';
import { evaluateClips, formatEval } from '../../model/evaluation.ts';
import { loadCoreModel } from '../../model/utteranceEmotion.ts';
import { type DatasetCommandOptions, datasetOptions, imageEmbeddingDimOf, loadLabelled } from '../datasetCommand.ts';
import { createProgress } from '../progress.ts';

interface EvalOpts extends DatasetCommandOptions {
  weights?: string;
  json?: boolean;
}

export function register(program: Command): void {
  datasetOptions(
    program
      .command('eval')
      .description('evaluate the core model and its ablations on labelled clips (<data>/labels.csv)')
      .requiredOption('--data <dir>', 'folder with the clips and labels.csv')
      .option('--weights <file>', 'trained weights (default: the training-free defaults)')
      .option('--json', 'print the results as JSON'),
  ).action(async (opts: EvalOpts) => {
    const clips = await loadLabelled(opts);
    const model = await loadCoreModel(opts.weights, imageEmbeddingDimOf(clips));
    try {
      const bar = opts.progress ? createProgress('eval', ABLATIONS.length * clips.length) : undefined;
      const r = await evaluateClips(model, clips, ABLATIONS, (done, _n, mode) => bar?.update(done, mode));
      bar?.stop();
      if (opts.json) {
        // top level: the full model's metrics (DESIGN.md's contract); rows: every ablation
        const full = r.rows.find((x) => x.mode === 'full')?.report;
        const rows = r.rows.map((x) => ({ mode: x.mode, ...x.report, predictions: x.predictions }));
        const json = {
          clips: clips.map((c) => ({ file: c.file, label: EMOTION_CLASSES[c.label] })),
          weights: opts.weights ?? 'default',
          accuracy: full?.accuracy,
          uar: full?.uar,
          war: full?.war,
          macro_f1: full?.macro_f1,
          confusion: full?.confusion,
          classes: EMOTION_CLASSES,
          rows,
        };
        process.stdout.write(`${JSON.stringify(json)}\n`);
      } else process.stdout.write(`${formatEval(r)}\n`);
    } finally {
      await model.release();
    }
  });
}
