/**
 * Dumps per-frame AU measures and intensities of clips, to calibrate actionUnits.ts on real video:
 *   npx tsx scripts/auDump.ts [--out file.json] [--session] [--smooth] [--detect-every N] [--size S] clip.mp4 …
 * Each clip runs through FaceTracker as FrameAnalyzer drives it (detect every N frames), one track; --smooth applies
 * FrameAnalyzer's One-Euro mesh smoothing.
 * Prints per clip the median and p90 of every measure and AU; --out writes every frame (t, measures, au) as JSON.
 * --session: one estimator for all clips, which first sees them all once so its neutral baseline settles on the
 * speaker (as test/vision/meadAus.test.ts does), then the recorded pass. Meshes are cached under
 * $TMPDIR/microemo-audump so formula changes re-run in seconds. --neutral-first NAME: per clip a fresh estimator
 * that first sees the clip whose name contains NAME twice (a calm start of the session), then the clip. Media stays where it is: nothing is copied.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AU_NAMES } from '../src/events/schema.ts';
import { OrtSessionCache } from '../src/model/ortSession.ts';
import { ActionUnitEstimator, MEASURES } from '../src/vision/actionUnits.ts';
import { MESH_POINTS } from '../src/vision/faceMesh.ts';
import { FaceStack } from '../src/vision/faceStack.ts';
import { FaceTracker } from '../src/vision/faceTracker.ts';
import { VIDEO_SMOOTHING } from '../src/vision/frameAnalyzer.ts';
import { decodeClip } from '../test/vision/decodeClip.ts';

const args = process.argv.slice(2);
let out: string | undefined;
let detectEvery = 10;
let size = 256;
let session = false;
let neutralFirst: string | undefined;
let smooth = false;
const clips: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i];
  else if (args[i] === '--detect-every') detectEvery = Number(args[++i]);
  else if (args[i] === '--size') size = Number(args[++i]);
  else if (args[i] === '--session') session = true;
  else if (args[i] === '--smooth') smooth = true;
  else if (args[i] === '--neutral-first') neutralFirst = args[++i];
  else clips.push(args[i]);
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(p * (s.length - 1))] ?? Number.NaN;
};

const cacheDir = join(tmpdir(), 'microemo-audump');
mkdirSync(cacheDir, { recursive: true });
const cache = new OrtSessionCache({ intraOpThreads: 1 });
let stack: FaceStack | null = null;

/** One mesh per frame with a face (null where none), cached by clip name, size, mtime and detection period. */
async function meshes(clip: string): Promise<(Float32Array | null)[]> {
  const key = join(cacheDir, `${basename(clip)}.${size}.${detectEvery}.${statSync(clip).mtimeMs}.tracker.bin`);
  const per = MESH_POINTS * 3;
  if (existsSync(key)) {
    const all = new Float32Array(new Uint8Array(readFileSync(key)).buffer);
    const res: (Float32Array | null)[] = [];
    for (let o = 0; o < all.length; o += per) res.push(Number.isNaN(all[o]) ? null : all.slice(o, o + per));
    return res;
  }
  stack ??= await FaceStack.load({ cache });
  const frames = await decodeClip(clip, size, size);
  const res: (Float32Array | null)[] = [];
  const tracker = new FaceTracker(stack, { detectEvery, maxFaces: 1 });
  for (let i = 0; i < frames.length; i++) {
    const step = await tracker.process(frames[i], i / 25);
    res.push(step.faces[0]?.face.mesh.landmarks ?? null);
  }
  const all = new Float32Array(res.length * per).fill(Number.NaN);
  res.forEach((m, i) => {
    if (m) all.set(m, i * per);
  });
  writeFileSync(key, new Uint8Array(all.buffer));
  return res;
}

const inputs = [];
for (const clip of clips) inputs.push({ clip: basename(clip), lms: await meshes(clip) });
await cache.releaseAll();

type Row = { t: number; m: number[]; au: number[] };
const dump: { clip: string; frames: Row[] }[] = [];
const shared = new ActionUnitEstimator({
  baseline: { windowS: 120 },
  ...(smooth ? { smoothing: VIDEO_SMOOTHING } : {}),
});
let t = 0;
if (session)
  for (const c of inputs)
    for (const lm of c.lms) {
      t += 0.04;
      if (lm) shared.analyse(0, t, lm);
    }
const calm = neutralFirst ? inputs.find((c) => c.clip.includes(neutralFirst as string)) : undefined;
if (neutralFirst && !calm) throw new Error(`no clip named like ${neutralFirst}`);
for (const c of inputs) {
  const est = session ? shared : new ActionUnitEstimator(smooth ? { smoothing: VIDEO_SMOOTHING } : {});
  if (calm)
    for (let k = 0; k < 2; k++)
      for (const lm of calm.lms) {
        t += 0.04;
        if (lm) est.analyse(0, t, lm);
      }
  const rows: Row[] = [];
  for (const lm of c.lms) {
    t += 0.04;
    if (!lm) continue;
    const r = est.analyse(0, t, lm);
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
