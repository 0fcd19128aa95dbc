/**
 * `microemo spot-eval --data <dir> [--fps n] [--iou 0.5] [--json]`: micro-expression spotting scored MEGC-style on
 * videos with labelled intervals (<data>/intervals.csv, intervalLabels.ts). Each video runs through the same pipeline
 * as `microemo analyze`; its `microexpression` events (micro and macro) are matched to the labelled intervals of the
 * same video at interval IoU ≥ --iou (vision/megcEval.ts). Prints a row per video and the pooled precision, recall
 * and F1; exits 1 with a one-line reason on bad data.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { analyzeFile } from '../../pipeline/analyzeFile.ts';
import { type Interval, megcEvaluate } from '../../vision/megcEval.ts';
import { numberOption } from '../datasetCommand.ts';
import { readIntervals } from '../intervalLabels.ts';
import { createProgress } from '../progress.ts';

interface SpotEvalOpts {
  data: string;
  fps?: string;
  iou: string;
  json?: boolean;
  longSide: string;
  modelsDir?: string;
  progress: boolean;
}

interface Spotted extends Interval {
  apex: number;
  kind: 'micro' | 'macro';
  regions: string[];
}

export function register(program: Command): void {
  program
    .command('spot-eval')
    .description('score micro-expression spotting (MEGC-style interval IoU) on videos with <data>/intervals.csv')
    .requiredOption('--data <dir>', 'folder with the videos and intervals.csv (file,onset,offset)')
    .option('--fps <n>', 'onset and offset are frame numbers at this rate (CAS(ME)², SAMM) instead of seconds')
    .option('--iou <x>', 'interval IoU that makes a spotted interval a true positive', '0.5')
    .option('--json', 'print the results as JSON')
    .option('--long-side <px>', 'analysis frame size (long side)', '640')
    .option('--models-dir <dir>', 'converted models folder')
    .option('--no-progress', 'no progress display')
    .action(async (opts: SpotEvalOpts) => {
      const iou = numberOption('iou', opts.iou, { min: 0.01, max: 1 });
      const fps = opts.fps === undefined ? undefined : numberOption('fps', opts.fps, { min: 1 });
      const longSide = numberOption('long-side', opts.longSide, { int: true, min: 32 });
      const dir = resolve(opts.data);
      const { files, truth } = readIntervals(dir, { fps });
      const bar = opts.progress ? createProgress('spot-eval', files.length, ' videos') : undefined;
      const spotted: Spotted[] = [];
      for (const [i, file] of files.entries()) {
        bar?.update(i, file);
        const r = await analyzeFile(join(dir, file), {
          longSide,
          modelsDir: opts.modelsDir ? resolve(opts.modelsDir) : undefined,
          onEvent: (e) => {
            if (e.type !== 'microexpression') return;
            spotted.push({
              onset: e.onset,
              offset: e.offset,
              apex: e.apex,
              kind: e.kind,
              regions: e.regions,
              video: file,
            });
          },
        });
        if (r.endReason !== 'eof') throw new Error(`${file}: ${r.message ?? `stream ended: ${r.endReason}`}`);
      }
      bar?.update(files.length);
      bar?.stop();
      const videos = files.map((file) => {
        const own = truth.filter((g) => g.video === file);
        const found = spotted.filter((s) => s.video === file);
        return {
          file,
          truth: own.map((g) => ({ onset: g.onset, offset: g.offset })),
          spotted: found.map(({ video: _, ...s }) => s),
          ...megcEvaluate(found, own, iou),
        };
      });
      const total = megcEvaluate(spotted, truth, iou);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ iou, ...total, videos })}\n`);
        return;
      }
      const w = Math.max(4, ...files.map((f) => f.length));
      const lines = [`${'file'.padEnd(w)}  truth  spotted  tp  fp  fn`];
      for (const v of videos)
        lines.push(
          `${v.file.padEnd(w)}  ${String(v.truth.length).padStart(5)}  ${String(v.spotted.length).padStart(7)}  ${String(v.tp).padStart(2)}  ${String(v.fp).padStart(2)}  ${String(v.fn).padStart(2)}`,
        );
      const f3 = (x: number) => x.toFixed(3);
      lines.push(
        `MEGC (interval IoU ≥ ${iou}): tp ${total.tp}, fp ${total.fp}, fn ${total.fn}; precision ${f3(total.precision)}, recall ${f3(total.recall)}, F1 ${f3(total.f1)}`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
