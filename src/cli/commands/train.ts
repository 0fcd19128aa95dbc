/**
 * `microemo train --data <dir>`: features of every labelled clip (extracted once through the live pipeline, cached),
 * then the encoder, Q-Former and head trained with tfjs from the default weights; writes the weights (for
 * `--weights`) and a JSON report (validation split, optional leave-one-speaker-out).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { modelOptionsSchema } from '../../model/modelOptions.ts';
import { trainWithReport } from '../../model/trainer.ts';
import { saveWeights } from '../../model/weights.ts';
import {
  type DatasetCommandOptions,
  datasetOptions,
  imageEmbeddingDimOf,
  loadLabelled,
  numberOption,
} from '../datasetCommand.ts';

interface TrainOpts extends DatasetCommandOptions {
  out: string;
  report?: string;
  epochs: string;
  lr: string;
  val: string;
  seed: string;
  loso?: boolean;
  dModel?: string;
  heads?: string;
  queries?: string;
  encoderLayers?: string;
  qformerLayers?: string;
  window?: string;
}

export function register(program: Command): void {
  datasetOptions(
    program
      .command('train')
      .description('train the core model on labelled clips (<data>/labels.csv: file,label[,speaker])')
      .requiredOption('--data <dir>', 'folder with the clips and labels.csv')
      .option('-o, --out <file>', 'weights file to write', 'weights.json')
      .option('--report <file>', 'training report (default: <out>.report.json)')
      .option('--epochs <n>', 'training epochs', '40')
      .option('--lr <x>', 'Adam learning rate', '0.003')
      .option('--val <fraction>', 'stratified validation fraction (0 = none)', '0.2')
      .option('--seed <n>', 'seed of the split, shuffles and perturbation', '1')
      .option('--loso', 'also run leave-one-speaker-out folds (needs a speaker column)')
      .option('--d-model <n>', 'token width inside the model (default 128; other shapes start from seeded weights)')
      .option('--heads <n>', 'attention heads (default 4)')
      .option('--queries <n>', 'Q-Former learned queries (default 8)')
      .option('--encoder-layers <n>', 'global-local encoder layers, 1–4 (default 1)')
      .option('--qformer-layers <n>', 'Q-Former layers, 1–4 (default 1)')
      .option('--window <s>', 'seconds of global tokens each local token attends to on either side (default 2)'),
  ).action(async (opts: TrainOpts) => {
    const epochs = numberOption('epochs', opts.epochs, { int: true, min: 1 });
    const learningRate = numberOption('lr', opts.lr, { min: 1e-9 });
    const valFraction = numberOption('val', opts.val, { min: 0, max: 0.9 });
    const seed = numberOption('seed', opts.seed, { int: true });
    const int = (name: string, v: string | undefined, min: number, max?: number) =>
      v === undefined ? undefined : numberOption(name, v, { int: true, min, max });
    const window = opts.window === undefined ? undefined : numberOption('window', opts.window, { min: 0 });
    const shape = {
      dModel: int('d-model', opts.dModel, 32),
      heads: int('heads', opts.heads, 1),
      queries: int('queries', opts.queries, 1),
      encoderLayers: int('encoder-layers', opts.encoderLayers, 1, 4),
      qformerLayers: int('qformer-layers', opts.qformerLayers, 1, 4),
      windowBeforeS: window,
      windowAfterS: window,
    };
    // validated before the (long) feature extraction: a bad shape fails at once with the reason
    const parsed = modelOptionsSchema.safeParse(
      Object.fromEntries(Object.entries(shape).filter(([, v]) => v !== undefined)),
    );
    if (!parsed.success) throw new Error(`bad model shape: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const clips = await loadLabelled(opts);
    const modelOpts = { ...parsed.data, imageEmbeddingDim: imageEmbeddingDimOf(clips) };
    const { weights, report } = await trainWithReport(
      clips,
      { epochs, learningRate, valFraction, seed, loso: !!opts.loso },
      modelOpts,
      (line) => process.stderr.write(`train: ${line}\n`),
    );
    const out = resolve(opts.out);
    saveWeights(out, weights);
    const reportPath = resolve(opts.report ?? `${opts.out.replace(/\.json$/, '')}.report.json`);
    writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    const v = report.validation;
    process.stderr.write(
      `train: ${report.clips} clips, training accuracy ${report.trainAccuracy.toFixed(3)}` +
        (v ? `, validation accuracy ${v.accuracy.toFixed(3)} UAR ${v.uar.toFixed(3)}` : '') +
        `\ntrain: weights → ${out}\ntrain: report → ${reportPath}\n`,
    );
  });
}
