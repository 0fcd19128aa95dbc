/**
 * Real posed clips (MEAD M030, one speaker, 8 emotions, talking in every clip, no audio): each clip's AU peak (p90
 * over its frames) against the neutral clip's. Meshes come from FaceTracker as FrameAnalyzer drives it, AUs from the
 * estimator with FrameAnalyzer's mesh smoothing. The speaker's neutral reference is learnt the way a session that
 * starts calm learns it: the neutral clip twice (8 s), then the clip; never a clip's own first frames (posed clips
 * start expressive) and not the median of all 8 clips (7 of them are expressive).
 *
 * Asserted: the FACS AUs of each label that the mesh shows on this speaker. Not asserted, because the 468-point mesh
 * does not show them here (measured with scripts/auDump.ts, Δ in inter-ocular units against the neutral clip):
 * AU5 in surprise, fear and anger (this speaker's neutral eyes are as open as his surprised ones: lid gap 0.115 vs
 * 0.113), AU1 in sadness (inner brows drop 0.074 there), AU4 in fear (the brows spread +0.022 rather than draw
 * together), AU15 in sadness and disgust (the corners do not fall against the lip midline).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AU_NAMES, type AuName } from '../../src/events/schema.ts';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import { ActionUnitEstimator, MEASURES } from '../../src/vision/actionUnits.ts';
import { FaceStack } from '../../src/vision/faceStack.ts';
import { FaceTracker } from '../../src/vision/faceTracker.ts';
import { VIDEO_SMOOTHING } from '../../src/vision/frameAnalyzer.ts';
import { mediaPath, skipWithoutMedia } from '../harness/media.ts';
import { decodeClip } from './decodeClip.ts';

const DIR = 'labeled/mead';
const skip = skipWithoutMedia(DIR);
const cache = new OrtSessionCache({ intraOpThreads: 1 });
const FPS = 25;

interface Peak {
  au: Record<AuName, number>;
  /** p90 of the one-sided lip-corner lift |Δ cornerL − Δ cornerR| (IOD) */
  asym: number;
}
const peaks = new Map<string, Peak>();

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(0.9 * (s.length - 1))] ?? 0;
}

before(async () => {
  if (skip) return;
  const dir = mediaPath(DIR) as string;
  const stack = await FaceStack.load({ cache });
  const clips = new Map<string, Float32Array[]>();
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.mp4'))
    .sort()) {
    const frames = await decodeClip(join(dir, f), 256, 256);
    const tracker = new FaceTracker(stack, { maxFaces: 1 });
    const lms: Float32Array[] = [];
    for (let i = 0; i < frames.length; i++) {
      const lm = (await tracker.process(frames[i], i / FPS)).faces[0]?.face.mesh.landmarks;
      if (lm) lms.push(lm);
    }
    clips.set(f.split('_')[2], lms);
  }
  const neutral = clips.get('neutral');
  assert.ok(neutral && neutral.length > 50, 'the neutral clip has a tracked face');
  const iR = MEASURES.indexOf('cornerR');
  const iL = MEASURES.indexOf('cornerL');
  for (const [label, lms] of clips) {
    const est = new ActionUnitEstimator({ smoothing: VIDEO_SMOOTHING });
    let t = 0;
    for (let k = 0; k < 2; k++)
      for (const lm of neutral) {
        t += 1 / FPS;
        est.analyse(0, t, lm);
      }
    const base = est.baselineOf(0)?.values.slice() as Float32Array;
    const series = AU_NAMES.map(() => [] as number[]);
    const asym: number[] = [];
    for (const lm of lms) {
      t += 1 / FPS;
      const r = est.analyse(0, t, lm);
      for (let i = 0; i < AU_NAMES.length; i++) series[i].push(r.au[i]);
      asym.push(Math.abs(r.measures[iL] - base[iL] - (r.measures[iR] - base[iR])));
    }
    const au = Object.fromEntries(AU_NAMES.map((n, i) => [n, Math.round(p90(series[i]) * 1000) / 1000]));
    peaks.set(label, { au: au as Record<AuName, number>, asym: p90(asym) });
  }
  for (const [label, p] of peaks)
    console.log(
      `peak AU ${label.padEnd(10)} ${AU_NAMES.map((n) => `${n}=${p.au[n].toFixed(2)}`).join(' ')} asym=${p.asym.toFixed(3)}`,
    );
});

after(() => cache.releaseAll());

test('MEAD neutral: every AU but the speech ones (AU25 lips part, AU26 jaw drop) stays ≤ 0.3 at its p90', {
  skip,
}, () => {
  const n = peaks.get('neutral') as Peak;
  for (const a of AU_NAMES) if (a !== 'AU25' && a !== 'AU26') assert.ok(n.au[a] <= 0.3, `${a} = ${n.au[a]}`);
});

// measured p90 (clip / neutral clip), as this test prints them: happy AU6 0.81/0, AU12 1.0/0; surprised AU1 0.66/0,
// AU2 0.82/0.01, AU26 0.66/0.44; sad AU4 0.86/0; angry AU4 0.44/0, AU7 0.30/0, AU23 0.43/0; disgusted AU9 0.38/0;
// fear AU1 0.85/0, AU2 0.78/0.01, AU20 0.84/0.22; contempt AU12 0.64/0 (corner asymmetry 0.046 vs ≤ 0.040 elsewhere)
for (const [label, aus] of [
  ['happy', ['AU6', 'AU12']],
  ['surprised', ['AU1', 'AU2', 'AU26']],
  ['sad', ['AU4']],
  ['angry', ['AU4', 'AU7', 'AU23']],
  ['disgusted', ['AU9']],
  ['fear', ['AU1', 'AU2', 'AU20']],
  ['contempt', ['AU12']],
] as [string, AuName[]][]) {
  test(`MEAD ${label}: ${aus.join(', ')} at the peak at least 0.15 above the neutral clip's`, { skip }, () => {
    const own = peaks.get(label) as Peak;
    const neutral = peaks.get('neutral') as Peak;
    for (const a of aus)
      assert.ok(own.au[a] >= neutral.au[a] + 0.15, `${label} ${a}: ${own.au[a]} vs neutral ${neutral.au[a]}`);
  });
}

test('MEAD contempt: the lip-corner pull is one-sided (corner asymmetry above every other clip)', { skip }, () => {
  const c = (peaks.get('contempt') as Peak).asym;
  for (const [label, p] of peaks)
    if (label !== 'contempt') assert.ok(c > p.asym, `contempt ${c.toFixed(3)} vs ${label} ${p.asym.toFixed(3)}`);
});
