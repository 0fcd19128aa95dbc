/**
 * FaceTracker on real frames: a pan across a group photo keeps every trackId; a clip without faces gives no track;
 * a face leaving and returning (HEVC .mov) ends its track and opens a new one. On a stub stack: two tracks whose
 * meshes collapse onto one face do not both stay.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { packageRoot } from '../../src/model/modelBuild.ts';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import { FaceStack, type StackFace } from '../../src/vision/faceStack.ts';
import { FaceTracker } from '../../src/vision/faceTracker.ts';
import type { RgbFrame } from '../../src/vision/imageOps.ts';
import { mediaPath, skipWithoutMedia } from '../harness/media.ts';
import { decodeClip } from './decodeClip.ts';

const cache = new OrtSessionCache({ intraOpThreads: 1 });
let stack: FaceStack;
before(async () => {
  stack = await FaceStack.load({ cache });
});
after(() => cache.releaseAll());

test('panning across a group photo keeps every trackId stable', async () => {
  const file = join(packageRoot('@vladmandic/face-api'), 'demo', 'sample6.jpg');
  const W = 960;
  const { data, info } = await sharp(file)
    .removeAlpha()
    .resize({ width: W })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const tracker = new FaceTracker(stack, { detectEvery: 5 });
  const seen: number[][] = [];
  const centre = new Map<number, number[]>();
  const N = 30;
  for (let k = 0; k < N; k++) {
    const left = Math.round((k * (W - 800)) / (N - 1));
    const { data: crop } = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
      .extract({ left, top: 0, width: 800, height: Math.min(600, info.height) })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const frame: RgbFrame = { width: 800, height: Math.min(600, info.height), rgb: new Uint8Array(crop) };
    const step = await tracker.process(frame, k / 30);
    assert.deepEqual(step.ended, []);
    seen.push(step.faces.map((f) => f.trackId));
    for (const f of step.faces) {
      const xs = centre.get(f.trackId) ?? new Array<number>(N).fill(Number.NaN);
      xs[k] = f.face.box.x + f.face.box.w / 2;
      centre.set(f.trackId, xs);
    }
  }
  console.log(`pan ${seen.map((s) => s.join(',')).join(' ')}`);
  assert.ok(seen[0].length >= 2, `faces in the first frame: ${seen[0].length}`);
  // once seen, a track stays to the end (no id lost or renumbered) …
  for (let k = 1; k < N; k++)
    for (const id of seen[k - 1]) assert.ok(seen[k].includes(id), `track ${id} lost at frame ${k}`);
  // … and follows its own face: its centre moves with the pan (no swaps between faces)
  const step = (W - 800) / (N - 1);
  for (const [id, xs] of centre) {
    for (let k = 1; k < N; k++) {
      if (Number.isNaN(xs[k]) || Number.isNaN(xs[k - 1])) continue;
      assert.ok(Math.abs(xs[k] - xs[k - 1] + step) < 12, `track ${id} jumped at frame ${k}: ${xs[k - 1]} → ${xs[k]}`);
    }
  }
});

test('halfExpression: same tracks and meshes, one net fresh per frame (alternating), the other held from the frame before', async () => {
  const file = join(packageRoot('@vladmandic/face-api'), 'demo', 'sample6.jpg');
  const { data, info } = await sharp(file)
    .removeAlpha()
    .resize({ width: 880 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const full = new FaceTracker(stack, { detectEvery: 8 });
  const half = new FaceTracker(stack, { detectEvery: 8 });
  const prev = new Map<number, StackFace>();
  let freshEmotion = 0;
  let freshFaceExpression = 0;
  for (let k = 0; k < 12; k++) {
    const { data: crop } = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
      .extract({ left: 6 * k, top: 0, width: 800, height: Math.min(600, info.height) })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const frame: RgbFrame = { width: 800, height: Math.min(600, info.height), rgb: new Uint8Array(crop) };
    const a = await full.process(frame, k / 30);
    const b = await half.process(frame, k / 30, true);
    assert.deepEqual(
      b.faces.map((f) => f.trackId),
      a.faces.map((f) => f.trackId),
    );
    assert.ok(a.faces.length >= 2, `frame ${k}: ${a.faces.length} faces`);
    b.faces.forEach((f, i) => {
      const ref = a.faces[i].face;
      assert.deepEqual(f.face.mesh.landmarks, ref.mesh.landmarks, 'the mesh does not depend on the expression nets');
      const e = f.face.expression;
      const p = prev.get(f.trackId)?.expression;
      const same = (x: Float32Array, y: Float32Array) => x.every((v, j) => Math.abs(v - y[j]) < 1e-6);
      if (!f.detected && p) {
        // exactly one net ran on this frame: its output is the full tracker's, the other is the previous frame's
        const emotionFresh = e.emotion !== p.emotion;
        assert.notEqual(emotionFresh, e.faceExpression !== p.faceExpression, `frame ${k}: one net per frame`);
        if (emotionFresh) {
          freshEmotion++;
          assert.ok(same(e.emotion.probs, ref.expression.emotion.probs));
        } else {
          freshFaceExpression++;
          assert.ok(same(e.faceExpression.probs, ref.expression.faceExpression.probs));
        }
        for (let j = 0; j < 7; j++)
          assert.ok(Math.abs(e.probs[j] - (e.emotion.probs[j] + e.faceExpression.probs[j]) / 2) < 1e-6, 'ensemble');
      } else {
        assert.ok(same(e.probs, ref.expression.probs), `frame ${k}: a new face runs both nets`);
      }
      prev.set(f.trackId, f.face);
    });
  }
  // 11 tracked frames per face, the nets alternating
  assert.ok(
    freshEmotion >= 10 && Math.abs(freshEmotion - freshFaceExpression) <= 4,
    `${freshEmotion} / ${freshFaceExpression}`,
  );
});

test('no_face.mp4 gives no track', { skip: skipWithoutMedia('faces/no_face.mp4') }, async () => {
  const frames = await decodeClip(mediaPath('faces/no_face.mp4') as string, 480, 270, { maxS: 2 });
  const tracker = new FaceTracker(stack);
  for (let i = 0; i < frames.length; i++) {
    const s = await tracker.process(frames[i], i / 24);
    assert.equal(s.faces.length, 0);
  }
});

// both clips resampled to 30 fps (noface_face.mov is 120 fps) so media time is frame / 30
async function decodeHevc(path: string): Promise<RgbFrame[]> {
  try {
    return await decodeClip(path, 480, 270, { fps: 30 });
  } catch {
    assert.ok(existsSync('/usr/bin/ffmpeg'), 'npm ffmpeg cannot decode HEVC and Debian ffmpeg is absent');
    return decodeClip(path, 480, 270, { bin: '/usr/bin/ffmpeg', fps: 30 });
  }
}

// face_noface.mov only has the face leaving (it does not come back); noface_face.mov has one arriving. Played one
// after the other they make the leave-and-return case.
test('face_noface.mov then noface_face.mov (HEVC): the track ends when the face leaves, a new one opens when it returns', {
  skip: skipWithoutMedia('faces/face_noface.mov', 'faces/noface_face.mov'),
}, async () => {
  const frames = [
    ...(await decodeHevc(mediaPath('faces/face_noface.mov') as string)),
    ...(await decodeHevc(mediaPath('faces/noface_face.mov') as string)),
  ];
  const tracker = new FaceTracker(stack);
  const ids = new Set<number>();
  const ended: number[] = [];
  const timeline: string[] = [];
  for (let i = 0; i < frames.length; i++) {
    const s = await tracker.process(frames[i], i / 30);
    for (const f of s.faces) ids.add(f.trackId);
    ended.push(...s.ended);
    timeline.push(s.faces.map((f) => f.trackId).join(',') || '-');
  }
  console.log(`timeline ${timeline.join(' ')}`);
  assert.equal(timeline[0], '0');
  assert.equal(ended[0], 0, 'the first track ended when the face left');
  const back = timeline.findIndex((x, i) => i > 72 && x !== '-');
  assert.ok(back > 0, 'the face came back');
  assert.ok(Number(timeline[back]) >= 1, `a new track opened on return: ${timeline[back]}`);
  // (the face may flicker while it enters at the edge; the track that settles must hold)
  const counts = new Map<string, number>();
  for (const x of timeline.slice(back)) counts.set(x, (counts.get(x) ?? 0) + 1);
  const returned = Math.max(...[...counts].filter(([x]) => x !== '-' && x !== '0').map(([, n]) => n));
  assert.ok(returned >= 30, `the returned face keeps one track for ≥ 1 s (${returned} frames)`);
});

/** A square face at x (stub stacks): a 468-point mesh on a 10-column grid and its box. */
function stubFace(x: number): StackFace {
  const lm = new Float32Array(468 * 3);
  for (let i = 0; i < 468; i++) {
    lm[3 * i] = x + (i % 10) * 10;
    lm[3 * i + 1] = 100 + Math.floor(i / 10) * 2;
  }
  return { box: { x, y: 100, w: 90, h: 92 }, score: 1, mesh: { landmarks: lm, score: 1 } } as unknown as StackFace;
}

test('two tracks whose meshes follow onto one face: the older keeps it, the other ends (stub stack)', async () => {
  // a stub of the two FaceStack calls the tracker makes: faces are squares, and tracking moves every mesh onto the
  // face at x = 100 (what happens to the second track when two faces cross and one leaves)
  const det = (x: number) => ({ box: { x, y: 100, w: 90, h: 92 }, score: 1, keypoints: [] });
  let frame = 0;
  const stub = {
    detector: { detect: async () => (frame === 0 ? [det(100), det(300)] : [det(100)]) },
    fromDetections: async (_f: RgbFrame, ds: { box: { x: number } }[]) => ds.map((d) => stubFace(d.box.x)),
    track: async (_f: RgbFrame, prev: Float32Array[]) => prev.map(() => stubFace(100)),
  } as unknown as FaceStack;
  const tracker = new FaceTracker(stub, { detectEvery: 5, maxMissingS: 0.2 });
  const blank: RgbFrame = { width: 640, height: 480, rgb: new Uint8Array(640 * 480 * 3) };
  const steps = [];
  for (frame = 0; frame < 12; frame++) steps.push(await tracker.process(blank, frame / 30));
  assert.deepEqual(
    steps[0].faces.map((f) => f.trackId),
    [0, 1],
  );
  for (const s of steps.slice(1))
    assert.deepEqual(
      s.faces.map((f) => f.trackId),
      [0],
    );
  assert.deepEqual(
    steps.flatMap((s) => s.ended),
    [1],
  );
});

test('with no face tracked the detector runs every idleDetectEvery frames, and on every frame while a track is lost (stub stack)', async () => {
  let frame = 0;
  const detectorFrames: number[] = [];
  // no face until frame 7; followed on frames 8–11; the mesh loses it from frame 12 on, and so does the detector
  const present = (k: number) => k >= 7 && k < 12;
  const stub = {
    detector: {
      detect: async () => {
        detectorFrames.push(frame);
        return present(frame) ? [{ box: { x: 100, y: 100, w: 90, h: 92 }, score: 1, keypoints: [] }] : [];
      },
    },
    fromDetections: async (_f: RgbFrame, ds: { box: { x: number } }[]) => ds.map((d) => stubFace(d.box.x)),
    track: async (_f: RgbFrame, prev: Float32Array[]) => prev.map(() => (present(frame) ? stubFace(100) : null)),
  } as unknown as FaceStack;
  const tracker = new FaceTracker(stub, { detectEvery: 10, idleDetectEvery: 3, maxMissingS: 0.11 });
  const blank: RgbFrame = { width: 640, height: 480, rgb: new Uint8Array(640 * 480 * 3) };
  const steps = [];
  for (frame = 0; frame < 24; frame++) steps.push(await tracker.process(blank, frame / 30));
  // idle: 0, 3, 6, 9 (found there, 2 frames after it appeared); 10 is the periodic one; lost on 12: every frame from
  // 13 until the track ends on 15 (> 0.11 s unseen), then idle again on the tracker's frame count
  assert.deepEqual(detectorFrames, [0, 3, 6, 9, 10, 13, 14, 15, 18, 21]);
  assert.deepEqual(
    steps.map((s) => s.detectorRan),
    steps.map((_, k) => detectorFrames.includes(k)),
  );
  assert.deepEqual(
    steps.flatMap((s) => s.faces.map((f) => f.trackId)),
    [0, 0, 0],
  );
  assert.deepEqual(
    steps.flatMap((s) => s.ended),
    [0],
  );
});

test('detectPhase shifts the periodic detector frames, not the first detection (stub stack)', async () => {
  const runs = async (detectPhase: number) => {
    let frame = 0;
    const detectorFrames: number[] = [];
    const stub = {
      detector: {
        detect: async () => {
          detectorFrames.push(frame);
          return [{ box: { x: 100, y: 100, w: 90, h: 92 }, score: 1, keypoints: [] }];
        },
      },
      fromDetections: async (_f: RgbFrame, ds: { box: { x: number } }[]) => ds.map((d) => stubFace(d.box.x)),
      track: async (_f: RgbFrame, prev: Float32Array[]) => prev.map(() => stubFace(100)),
    } as unknown as FaceStack;
    const tracker = new FaceTracker(stub, { detectEvery: 10, detectPhase });
    const blank: RgbFrame = { width: 640, height: 480, rgb: new Uint8Array(640 * 480 * 3) };
    for (frame = 0; frame < 32; frame++) await tracker.process(blank, frame / 30);
    return detectorFrames;
  };
  assert.deepEqual(await runs(0), [0, 10, 20, 30]);
  // phase 6 of 10: the face is found on frame 0, then the periodic frames are 4, 14, 24 (half a period from phase 0's)
  assert.deepEqual(await runs(6), [0, 4, 14, 24]);
});
