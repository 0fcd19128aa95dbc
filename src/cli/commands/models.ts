/**
 * `microemo models build|verify`: converts the npm-shipped pretrained models to ONNX and checks them.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { buildModels, DEFAULT_MODELS_DIR, MODEL_SPECS } from '../../model/modelBuild.ts';
import { describeProblems, verifyModels } from '../../model/modelVerify.ts';

function names(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function register(program: Command): void {
  const models = program
    .command('models')
    .description(`build or verify the ONNX models (${MODEL_SPECS.map((s) => s.name).join(', ')})`);

  models
    .command('build')
    .description('convert the pretrained models shipped in npm packages into <dir>/*.onnx + manifest.json')
    .option('--dir <dir>', 'output folder', DEFAULT_MODELS_DIR)
    .option('--only <names>', 'comma-separated model names to (re)build', names)
    .option('--quiet', 'no progress lines')
    .action((opts: { dir: string; only?: string[]; quiet?: boolean }) => {
      const t0 = performance.now();
      const manifest = buildModels({
        outDir: resolve(opts.dir),
        only: opts.only,
        log: opts.quiet ? undefined : (line) => console.log(`models: ${line}`),
      });
      if (!opts.quiet) {
        const n = Object.keys(manifest.models).length;
        console.log(`models: ${n} models ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    });

  models
    .command('verify')
    .description('check that every model file exists and matches the sha256 in manifest.json')
    .option('--dir <dir>', 'models folder', DEFAULT_MODELS_DIR)
    .option('--only <names>', 'comma-separated model names to check', names)
    .action((opts: { dir: string; only?: string[] }) => {
      const r = verifyModels(resolve(opts.dir), opts.only);
      if (!r.ok) throw new Error(describeProblems(r));
      console.log(`models: ${Object.keys(r.manifest?.models ?? {}).length} models verified in ${r.dir}`);
    });
}
