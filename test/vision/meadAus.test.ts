/**
 * Real posed clips (MEAD, one speaker, 8 emotions): the AU pattern at each clip's peak fits its label. The speaker's
 * neutral reference comes from the online baseline over the whole session (all clips in sequence, as one track would
 * see them), never from a clip's first frames.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AU_NAMES, type AuName } from '../../src/events/schema.ts';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import { ActionUnitEstimator } from '../../src/vision/actionUnits.ts';
import { FaceStack } from '../../src/vision/faceStack.ts';
import { mediaPath, skipWithoutMedia } from '../harness/media.ts';
import { decodeClip } from './decodeClip.ts';

const DIR = 'labeled/mead';
const skip = skipWithoutMedia(DIR);
const cache = new OrtSessionCache({ intraOpThreads: 1 });
const peaks = new Map<string, Record<AuName, number>>();

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(0.9 * (s.length - 1))] ?? 0;
}

before(async () => {
  if (skip) return;
  const dir = mediaPath(DIR) as string;
  const stack = await FaceStack.load({ cache });
  const clips: { label: string; lms: Float32Array[] }[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.mp4'))
    .sort()) {
    const label = f.split('_')[2];
    const frames = await decodeClip(join(dir, f), 256, 256);
    const lms: Float32Array[] = [];
    let prev: Float32Array[] = [];
    for (const fr of frames) {
      const faces = await stack.process(fr, prev);
      prev = faces.slice(0, 1).map((x) => x.mesh.landmarks);
      if (prev[0]) lms.push(prev[0]);
    }
    clips.push({ label, lms });
  }
  const est = new ActionUnitEstimator({ baseline: { windowS: 120 } });
  let t = 0;
  // pass 1: the session as one track would see it, so the baseline settles on the speaker
  for (const c of clips) {
    for (const lm of c.lms) {
      t += 0.04;
      est.analyse(0, t, lm);
    }
  }
  // pass 2: AUs against the settled baseline
  for (const c of clips) {
    const series = AU_NAMES.map(() => [] as number[]);
    for (const lm of c.lms) {
      t += 0.04;
      const r = est.analyse(0, t, lm);
      for (let i = 0; i < AU_NAMES.length; i++) series[i].push(r.au[i]);
    }
    peaks.set(
      c.label,
      Object.fromEntries(AU_NAMES.map((n, i) => [n, Math.round(p90(series[i]) * 1000) / 1000])) as Record<
        AuName,
        number
      >,
    );
  }
  for (const [label, p] of peaks)
    console.log(`peak AU ${label.padEnd(10)} ${AU_NAMES.map((n) => `${n}=${p[n].toFixed(2)}`).join(' ')}`);
});

after(() => cache.releaseAll());

/** Mean of the AUs in this clip vs the largest of the same mean over the other clips. */
function margin(label: string, aus: AuName[]): { own: number; others: number } {
  const m = (p: Record<AuName, number>) => aus.reduce((s, a) => s + p[a], 0) / aus.length;
  const own = m(peaks.get(label) as Record<AuName, number>);
  const rest = [...peaks].filter(([l]) => l !== label).map(([, p]) => m(p));
  return { own, others: rest.reduce((a, b) => a + b, 0) / rest.length };
}

for (const [label, aus] of [
  ['happy', ['AU6', 'AU12']],
  ['surprised', ['AU1', 'AU2', 'AU5', 'AU26']],
  ['sad', ['AU1', 'AU4', 'AU15']],
] as [string, AuName[]][]) {
  test(`MEAD ${label}: ${aus.join('+')} above the other clips at the peak`, { skip }, () => {
    const { own, others } = margin(label, aus);
    assert.ok(own > others, `${label}: ${own.toFixed(3)} vs other clips' mean ${others.toFixed(3)}`);
  });
}
