/**
 * Start-up check of the built models: every model of MODEL_SPECS is in `models/manifest.json`, its file exists and
 * its sha256 matches, and it was built from the package version installed now. The server calls `assertModels`
 * before turning ready; `microemo models verify` prints the same problems.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MODELS_DIR, MANIFEST_FILE, MODEL_SPECS, type ModelsManifest, packageRoot } from './modelBuild.ts';

export interface ModelProblem {
  model: string;
  kind: 'manifest' | 'missing' | 'corrupt' | 'stale';
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  dir: string;
  problems: ModelProblem[];
  manifest?: ModelsManifest;
}

const FIX = 'run `npm run models` to rebuild';

/** Checks the models in `dir` (default `<repo>/models`); `models` limits the check to some of them. */
export function verifyModels(dir: string = DEFAULT_MODELS_DIR, models?: readonly string[]): VerifyResult {
  const problems: ModelProblem[] = [];
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifest: ModelsManifest | undefined;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ModelsManifest;
  } catch (err) {
    const why = existsSync(manifestPath) ? `unreadable (${(err as Error).message})` : 'missing';
    problems.push({ model: '*', kind: 'manifest', message: `${manifestPath} is ${why}` });
    return { ok: false, dir, problems };
  }
  const versions = new Map<string, string>();
  const wanted = MODEL_SPECS.filter((s) => !models || models.includes(s.name));
  for (const spec of wanted) {
    const entry = manifest.models?.[spec.name];
    if (!entry) {
      problems.push({ model: spec.name, kind: 'missing', message: `${spec.name}: not in ${manifestPath}` });
      continue;
    }
    const file = join(dir, entry.file);
    if (!existsSync(file)) {
      problems.push({ model: spec.name, kind: 'missing', message: `${file} is missing` });
      continue;
    }
    const bytes = readFileSync(file);
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== entry.sha256) {
      problems.push({
        model: spec.name,
        kind: 'corrupt',
        message: `${file} is corrupt (sha256 ${hash.slice(0, 12)}…, manifest says ${entry.sha256.slice(0, 12)}…)`,
      });
      continue;
    }
    let installed = versions.get(spec.package);
    if (installed === undefined) {
      try {
        installed = (
          JSON.parse(readFileSync(join(packageRoot(spec.package), 'package.json'), 'utf8')) as { version: string }
        ).version;
      } catch {
        installed = '';
      }
      versions.set(spec.package, installed);
    }
    if (installed && installed !== entry.source.version) {
      problems.push({
        model: spec.name,
        kind: 'stale',
        message: `${file} was built from ${spec.package}@${entry.source.version}, ${installed} is installed`,
      });
    }
  }
  return { ok: problems.length === 0, dir, problems, manifest };
}

/** One readable message for a failed verification. */
export function describeProblems(r: VerifyResult): string {
  return `models in ${r.dir} are not usable: ${r.problems.map((p) => p.message).join('; ')} (${FIX})`;
}

/** Like verifyModels, but throws an Error naming every missing/corrupt/stale file; returns the manifest. */
export function assertModels(dir: string = DEFAULT_MODELS_DIR, models?: readonly string[]): ModelsManifest {
  const r = verifyModels(dir, models);
  if (!r.ok || !r.manifest) throw new Error(describeProblems(r));
  return r.manifest;
}
