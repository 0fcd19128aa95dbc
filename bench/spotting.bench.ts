/**
 * `npm run bench -- spotting`: micro-expression spotting scored MEGC-style (interval IoU ≥ 0.5) on real faces with
 * known ground truth — expressions of MEAD's speaker spliced into his neutral clip (test/harness/splicedExpressions.ts
 * says how and what that does and does not measure). Per expression class: one clip with a 200 ms micro-expression,
 * one with a 760 ms macro-expression, both starting at 1.6 s; the unspliced neutral clip counts for false positives.
 * MEAD's speaker talks through every clip but the clips carry no audio: the main run tells the spotter he is speaking
 * throughout (what a VAD on the original audio would say), so mouth/jaw-only motion counts as talking; the `silent_*`
 * metrics repeat it with no speech known, where his articulation is free to read as expressions.
 * Needs ../shared/media/labeled/mead (skips otherwise).
 * Metrics: spotting_precision, spotting_recall, spotting_f1 (every spotted interval against every inserted one),
 * micro_recall, macro_recall, kind_accuracy (matched intervals labelled micro/macro right), onset_err_ms_mean,
 * apex_err_ms_mean (matched).
 */
import { join } from 'node:path';
import { OrtSessionCache } from '../src/model/ortSession.ts';
import { FaceStack } from '../src/vision/faceStack.ts';
import type { RgbFrame } from '../src/vision/imageOps.ts';
import { type Interval, intervalIou, megcEvaluate } from '../src/vision/megcEval.ts';
import type { MicroExpressionRecord } from '../src/vision/microExpressionSpotter.ts';
import { mediaPath } from '../test/harness/media.ts';
import {
  type Insertion,
  loadMeadSplicing,
  MACRO_AT,
  MEAD_CLIPS,
  MEAD_FPS,
  MEAD_NEUTRAL,
  type MeadSplicing,
  MICRO_AT,
  splice,
  spotExpressions,
  truthOf,
} from '../test/harness/splicedExpressions.ts';

const neutralPath = mediaPath(join('labeled', 'mead', MEAD_NEUTRAL));
if (!neutralPath) {
  console.log('spotting: skipped (../shared/media/labeled/mead absent)');
  console.log(JSON.stringify({ suite: 'spotting', metrics: { skipped: 1 } }));
  process.exit(0);
}
const cache = new OrtSessionCache({ intraOpThreads: 1 });
const stack = await FaceStack.load({ cache });
const { neutral, neutralLm, apexOf } = (await loadMeadSplicing(stack)) as MeadSplicing;

const spot = (frames: RgbFrame[], speaking: number) => spotExpressions(stack, frames, speaking);
const fmt = (e: MicroExpressionRecord) =>
  `${e.kind} ${e.onset.toFixed(2)}–${e.offset.toFixed(2)} apex ${e.apex.toFixed(2)} [${e.regions}] ${e.aus} → ${e.expressionAtApex}`;

const START = 40; // 1.6 s
const apexes = new Map<string, NonNullable<Awaited<ReturnType<typeof apexOf>>>>();
for (const label of Object.keys(MEAD_CLIPS) as (keyof typeof MEAD_CLIPS)[]) {
  const apex = await apexOf(label);
  if (apex) apexes.set(label, apex);
}

interface Run {
  score: ReturnType<typeof megcEvaluate>;
  truth: number;
  matched: { kind: boolean; onsetMs: number; apexMs: number; inserted: 'micro' | 'macro' }[];
}

async function run(speaking: number): Promise<Run> {
  console.log(`— speaking ${speaking}`);
  const spotted: Interval[] = [];
  const truth: Interval[] = [];
  const matched: Run['matched'] = [];
  const base = await spot(neutral, speaking);
  console.log(`neutral clip: ${base.length} spotted ${base.map(fmt).join('; ')}`);
  for (const e of base) spotted.push({ onset: e.onset, offset: e.offset, video: 'neutral' });
  for (const [label, apex] of apexes) {
    for (const [kind, ins] of [
      ['micro', MICRO_AT(START)],
      ['macro', MACRO_AT(START)],
    ] as ['micro' | 'macro', Insertion][]) {
      const video = `${label}-${kind}`;
      const events = await spot(splice(neutral, neutralLm, apex, [ins]), speaking);
      const gt = truthOf(ins, MEAD_FPS);
      truth.push({ onset: gt.onset, offset: gt.offset, video });
      for (const e of events) spotted.push({ onset: e.onset, offset: e.offset, video });
      const hit = events
        .map((e) => ({ e, iou: intervalIou(e, gt) }))
        .filter((x) => x.iou >= 0.5)
        .sort((a, b) => b.iou - a.iou)[0];
      if (hit)
        matched.push({
          inserted: kind,
          kind: hit.e.kind === kind,
          onsetMs: Math.abs(hit.e.onset - gt.onset) * 1000,
          apexMs: Math.abs(hit.e.apex - gt.apex) * 1000,
        });
      console.log(
        `${video.padEnd(18)} apex frame ${apex.index} (p ${apex.probability.toFixed(2)}, pose off by ${apex.poseDistance.toFixed(1)}°), truth ${gt.onset.toFixed(2)}–${gt.offset.toFixed(2)}: ${hit ? `HIT iou ${hit.iou.toFixed(2)}` : 'miss'}; ${events.map(fmt).join('; ') || 'nothing spotted'}`,
      );
    }
  }
  const score = megcEvaluate(spotted, truth);
  console.log(`MEGC: tp ${score.tp} fp ${score.fp} fn ${score.fn}`);
  return { score, truth: truth.length, matched };
}
const talking = await run(1);
const silent = await run(0);
await cache.releaseAll();
const r = (x: number) => Number(x.toFixed(3));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const { score, matched } = talking;
const per = (k: 'micro' | 'macro') => matched.filter((m) => m.inserted === k).length / (talking.truth / 2);
console.log(
  JSON.stringify({
    suite: 'spotting',
    metrics: {
      inserted: talking.truth,
      spotting_precision: r(score.precision),
      spotting_recall: r(score.recall),
      spotting_f1: r(score.f1),
      micro_recall: r(per('micro')),
      macro_recall: r(per('macro')),
      kind_accuracy: r(matched.filter((m) => m.kind).length / Math.max(1, matched.length)),
      onset_err_ms_mean: Math.round(mean(matched.map((m) => m.onsetMs))),
      apex_err_ms_mean: Math.round(mean(matched.map((m) => m.apexMs))),
      silent_precision: r(silent.score.precision),
      silent_recall: r(silent.score.recall),
      silent_f1: r(silent.score.f1),
    },
  }),
);
