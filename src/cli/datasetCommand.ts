/**
 * What `microemo train` and `microemo eval` share: the data options and loading the labelled clips' features
 * (extracted through the pipeline once, then from the cache) with a progress display.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { GLOBAL_BASE_DIM } from '../model/tokens.ts';
import { type CachedClip, defaultCacheDir, loadDataset, MediaClipExtractor } from './clipFeatures.ts';
import { createProgress } from './progress.ts';

export function datasetOptions(cmd: Command): Command {
  return cmd
    .option('--cache <dir>', 'feature cache folder', defaultCacheDir())
    .option('--no-cache', 'extract every clip again, cache nothing')
    .option('--models-dir <dir>', 'converted models folder')
    .option('--image-encoder <onnx>', 'ONNX image encoder whose embedding joins the global tokens')
    .option('--no-progress', 'no progress display');
}

export function numberOption(name: string, v: string, o: { int?: boolean; min?: number; max?: number } = {}): number {
  const n = Number(v);
  const bad =
    !Number.isFinite(n) ||
    (o.int && !Number.isInteger(n)) ||
    (o.min !== undefined && n < o.min) ||
    (o.max !== undefined && n > o.max);
  if (bad) {
    const range = [o.min !== undefined ? `≥ ${o.min}` : '', o.max !== undefined ? `≤ ${o.max}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new Error(`--${name} must be ${o.int ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got "${v}"`);
  }
  return n;
}

/** What `datasetOptions` (plus the commands' `--data`) parse into. */
export interface DatasetCommandOptions {
  data: string;
  cache: string | false;
  modelsDir?: string;
  imageEncoder?: string;
  progress: boolean;
}

export async function loadLabelled(opts: DatasetCommandOptions): Promise<CachedClip[]> {
  const dir = resolve(opts.data);
  const extractor = new MediaClipExtractor({
    modelsDir: opts.modelsDir ? resolve(opts.modelsDir) : undefined,
    imageEncoder: opts.imageEncoder ? resolve(opts.imageEncoder) : undefined,
  });
  let bar: ReturnType<typeof createProgress> | undefined;
  const { clips, skipped } = await loadDataset(dir, extractor, {
    cacheDir: opts.cache === false ? null : resolve(opts.cache),
    onClip: (i, n, file, cached) => {
      if (!opts.progress) return;
      bar ??= createProgress('features', n, ' clips');
      bar.update(i, `${file}${cached ? ' (cached)' : ''}`);
    },
  });
  bar?.stop();
  await extractor.close();
  for (const s of skipped) process.stderr.write(`skipped ${s}\n`);
  if (clips.length === 0) throw new Error(`no usable clip in ${join(dir, 'labels.csv')}`);
  return clips;
}

/** Width of the image embeddings in the clips' global tokens (0 without an image encoder). */
export function imageEmbeddingDimOf(clips: readonly CachedClip[]): number {
  for (const c of clips) if (c.features.globals.length) return c.features.globals[0].token.length - GLOBAL_BASE_DIM;
  return 0;
}
