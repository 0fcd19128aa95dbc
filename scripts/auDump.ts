/**
 * Dumps per-frame AU measures and intensities of clips, to calibrate actionUnits.ts on real video:
 *   npx tsx scripts/auDump.ts [--out file.json] [--session] [--smooth] [--no-prior] [--neutral-first NAME] clip.mp4 …
 * Each clip runs through FaceTracker as FrameAnalyzer drives it (scripts/meshCache.ts: detect every 10 frames, one
 * track, meshes and expression probabilities cached), and each frame through the AU estimator with the nets' neutral
 * probability, as FrameAnalyzer does; by default every clip is a fresh track from its first frame (as analyze/eval
 * and test/vision/meadAus.test.ts see it). --smooth applies FrameAnalyzer's One-Euro mesh smoothing; --no-prior
 * starts the baselines without the population prior.
 * Prints per clip the p90 of every AU and the median of every measure; --out writes every frame (t, measures, au).
 * --session: one estimator for all clips, which first sees them all once, then the recorded pass. --neutral-first
 * NAME: per clip a fresh estimator that first sees the clip whose name contains NAME twice (a calm start of the
 * session), then the clip. Media stays where it is: nothing is copied.
 * Do not calibrate on labeled/mead: it is the evaluation set (calibration constants come from other media, see
 * scripts/neutralPrior.ts).
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { AU_NAMES } from '../src/events/schema.ts';
import { ActionUnitEstimator, MEASURES } from '../src/vision/actionUnits.ts';
import { VIDEO_SMOOTHING } from '../src/vision/frameAnalyzer.ts';
import { closeMeshCache, type MeshFrame, meshes } from './meshCache.ts';

const args = process.argv.slice(2);
let out: string | undefined;
let session = false;
let neutralFirst: string | undefined;
let smooth = false;
let prior = true;
const clips: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i];
  else if (args[i] === '--session') session = true;
  else if (args[i] === '--smooth') smooth = true;
  else if (args[i] === '--no-prior') prior = false;
  else if (args[i] === '--neutral-first') neutralFirst = args[++i];
  else clips.push(args[i]);
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(p * (s.length - 1))] ?? Number.NaN;
};

const inputs: { clip: string; lms: MeshFrame[] }[] = [];
for (const clip of clips) inputs.push({ clip: basename(clip), lms: (await meshes(clip))[0] ?? [] });
await closeMeshCache();

type Row = { t: number; m: number[]; au: number[] };
const dump: { clip: string; frames: Row[] }[] = [];
const shared = new ActionUnitEstimator({
  baseline: { windowS: 120 },
  prior,
  ...(smooth ? { smoothing: VIDEO_SMOOTHING } : {}),
});
let t = 0;
if (session)
  for (const c of inputs)
    for (const lm of c.lms) {
      t += 0.04;
      shared.analyse(0, t, lm.lm, 0, lm.probs[0]);
    }
const calm = neutralFirst ? inputs.find((c) => c.clip.includes(neutralFirst as string)) : undefined;
if (neutralFirst && !calm) throw new Error(`no clip named like ${neutralFirst}`);
for (const c of inputs) {
  const est = session ? shared : new ActionUnitEstimator({ prior, ...(smooth ? { smoothing: VIDEO_SMOOTHING } : {}) });
  if (calm)
    for (let k = 0; k < 2; k++)
      for (const lm of calm.lms) {
        t += 0.04;
        est.analyse(0, t, lm.lm, 0, lm.probs[0]);
      }
  const rows: Row[] = [];
  for (const lm of c.lms) {
    t += 0.04;
    const r = est.analyse(0, t, lm.lm, 0, lm.probs[0]);
    rows.push({ t, m: [...r.measures], au: [...r.au] });
  }
  dump.push({ clip: c.clip, frames: rows });
}
const fmt = (n: string) => n.padStart(5);
console.log(`${'AU p90'.padEnd(12)}${AU_NAMES.map(fmt).join(' ')}`);
for (const c of dump) {
  const label = c.clip.split('_')[2] ?? c.clip;
  console.log(
    `${label.slice(0, 11).padEnd(12)}${AU_NAMES.map((_, k) =>
      fmt(
        q(
          c.frames.map((r) => r.au[k]),
          0.9,
        ).toFixed(2),
      ),
    ).join(' ')}`,
  );
}
console.log(`${'measure p50'.padEnd(12)}${MEASURES.map((n) => n.slice(0, 7).padStart(8)).join('')}`);
for (const c of dump) {
  const label = c.clip.split('_')[2] ?? c.clip;
  console.log(
    `${label.slice(0, 11).padEnd(12)}${MEASURES.map((_, k) =>
      q(
        c.frames.map((r) => r.m[k]),
        0.5,
      )
        .toFixed(3)
        .padStart(8),
    ).join('')}`,
  );
}
if (out) writeFileSync(out, JSON.stringify(dump));
