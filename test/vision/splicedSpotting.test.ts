/**
 * Spotting on real faces with known ground truth (test/harness/splicedExpressions.ts): MEAD's happy, sad and
 * surprised apex faces dissolved into his neutral clip for 200 ms (micro) and 760 ms (macro) from 1.6 s. The speaker
 * talks throughout (the clips carry no audio; speech is given as known, as a VAD would say). Each insertion is found
 * with interval IoU ≥ 0.5, the right kind and the onset within 2 frames, and the neutral clip gives nothing (with
 * speech known, and without: before visualSpeech.ts it gave 5 mouth events then).
 * The full table over six expressions is `npm run bench -- spotting`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import { FaceStack } from '../../src/vision/faceStack.ts';
import type { RgbFrame } from '../../src/vision/imageOps.ts';
import { intervalIou } from '../../src/vision/megcEval.ts';
import type { MicroExpressionRecord } from '../../src/vision/microExpressionSpotter.ts';
import { skipWithoutMedia } from '../harness/media.ts';
import {
  type ApexFrame,
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
} from '../harness/splicedExpressions.ts';

const rel = (f: string) => join('labeled', 'mead', f);
const LABELS = ['happy', 'sad', 'surprised'] as const;
const skip = skipWithoutMedia(rel(MEAD_NEUTRAL), ...LABELS.map((l) => rel(MEAD_CLIPS[l] as string)));

describe('spotting expressions spliced into a real talking face', { skip }, () => {
  const cache = new OrtSessionCache({ intraOpThreads: 1 });
  let stack: FaceStack;
  let mead: MeadSplicing;
  before(async () => {
    stack = await FaceStack.load({ cache });
    mead = (await loadMeadSplicing(stack)) as MeadSplicing;
  });
  after(() => cache.releaseAll());

  const spot = (frames: RgbFrame[], speaking = 1) => spotExpressions(stack, frames, speaking);
  const fmt = (e: MicroExpressionRecord) => `${e.kind} ${e.onset.toFixed(2)}–${e.offset.toFixed(2)} ${e.regions}`;

  test('the neutral clip alone: nothing spotted, also with no speech known (his articulation is seen on the lips)', async () => {
    for (const speaking of [1, 0]) {
      const events = await spot(mead.neutral, speaking);
      assert.equal(events.length, 0, `speaking ${speaking}: ${events.map(fmt).join('; ')}`);
    }
  });

  for (const label of LABELS) {
    test(`${label}: the 200 ms micro and the 760 ms macro insertion are each spotted, timed and classified`, async () => {
      const apex = (await mead.apexOf(label)) as ApexFrame;
      for (const [kind, ins] of [
        ['micro', MICRO_AT(40)],
        ['macro', MACRO_AT(40)],
      ] as const) {
        const events = await spot(splice(mead.neutral, mead.neutralLm, apex, [ins]));
        const gt = truthOf(ins, MEAD_FPS);
        const hits = events.filter((e) => intervalIou(e, gt) >= 0.5);
        assert.equal(hits.length, 1, `${kind}: truth ${gt.onset}–${gt.offset}, spotted ${events.map(fmt).join('; ')}`);
        assert.equal(hits[0].kind, kind);
        assert.ok(
          Math.abs(hits[0].onset - gt.onset) <= 2 / MEAD_FPS + 1e-9,
          `${kind} onset ${hits[0].onset} vs ${gt.onset}`,
        );
        assert.equal(events.length, 1, `${kind}: nothing else spotted (${events.map(fmt).join('; ')})`);
      }
    });
  }
});
