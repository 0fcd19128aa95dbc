/**
 * `microemo train --data <dir>`: features of every labelled clip (extracted once through the live pipeline, cached),
 * then the encoder, Q-Former and head trained with tfjs from the default weights; writes the weights (for
 * `--weights`) and a JSON report (validation split, optional leave-one-speaker-out).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { trainWithReport } from '../../model/trainer.ts';
import { saveWeights } from '../../model/weights.ts';
import { datasetOptions, imageEmbeddingDimOf, loadLabelled, numberOption } from '../datasetCommand.ts';

interface TrainOpts {
  data: string;
  out: string;
  report?: string;
  epochs: string;
  lr: string;
  val: string;
  seed: string;
  loso?: boolean;
  cache: string | false;
  modelsDir?: string;
  imageEncoder?: string;
  progress: boolean;
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
      .option('--loso', 'also run leave-one-speaker-out folds (needs a speaker column)'),
  ).action(async (opts: TrainOpts) => {
    const epochs = numberOption('epochs', opts.epochs, { int: true, min: 1 });
    const learningRate = numberOption('lr', opts.lr, { min: 1e-9 });
    const valFraction = numberOption('val', opts.val, { min: 0, max: 0.9 });
    const seed = numberOption('seed', opts.seed, { int: true });
    const clips = await loadLabelled(opts);
    const { weights, report } = await trainWithReport(
      clips,
      { epochs, learningRate, valFraction, seed, loso: !!opts.loso },
      { imageEmbeddingDim: imageEmbeddingDimOf(clips) },
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
