/**
 * FrameAnalyzer on real video, end to end (tracker → mesh → AUs → spotter):
 * - a still photo panned and zoomed slowly, H.264 with a keyframe every second → one stable track and nothing
 *   spotted (before this change: 26 events in these 7 s, one every detectEvery = 10 frames, from the re-detection
 *   mesh jump); the same for the gently moving clip test/harness/clips.ts makes for the pipeline tests (28 before);
 * - real talking heads with their own speech (shared media) → at most 1 micro-expression over all 5 clips (measured
 *   0) and at most 2 events per clip; speech comes from the clip's audio (ffmpeg silencedetect standing in for the
 *   VAD);
 * - a face hidden briefly that returns elsewhere keeps its trackId through the face descriptor.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { packageRoot } from '../../src/model/modelBuild.ts';
import { OrtSessionCache } from '../../src/model/ortSession.ts';
import { FaceDescriptor } from '../../src/vision/faceDescriptor.ts';
import { FaceStack } from '../../src/vision/faceStack.ts';
import { FrameAnalyzer, GLOBAL_TOKEN_LAYOUT } from '../../src/vision/frameAnalyzer.ts';
import type { RgbFrame } from '../../src/vision/imageOps.ts';
import type { MicroExpressionRecord } from '../../src/vision/microExpressionSpotter.ts';
import type { BodyPose, MoveNet } from '../../src/vision/movenet.ts';
import { loadVisionModels } from '../../src/vision/visionModels.ts';
import { FFMPEG, makeFaceClip } from '../harness/clips.ts';
import { mediaPath, skipWithoutMedia } from '../harness/media.ts';
import { decodeClip } from './decodeClip.ts';

const cache = new OrtSessionCache({ intraOpThreads: 1 });
let stack: FaceStack;
const dir = mkdtempSync(join(tmpdir(), 'microemo-frameanalyzer-'));
before(async () => {
  stack = await FaceStack.load({ cache });
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await cache.releaseAll();
});

interface Run {
  events: MicroExpressionRecord[];
  /** trackIds seen per frame */
  ids: number[][];
}

async function run(
  frames: RgbFrame[],
  fps: number,
  speaking: (t: number) => number = () => 0,
  descriptor: FaceDescriptor | null = null,
): Promise<Run> {
  const analyzer = new FrameAnalyzer(stack, null, {}, undefined, undefined, descriptor);
  const events: MicroExpressionRecord[] = [];
  const ids: number[][] = [];
  for (let i = 0; i < frames.length; i++) {
    const t = i / fps;
    const r = await analyzer.analyse(frames[i], t, { global: false, speaking: speaking(t) });
    events.push(...r.microexpressions);
    ids.push(r.faces.map((f) => f.observation.trackId));
  }
  events.push(...analyzer.flush());
  return { events, ids };
}

const describeEvents = (evs: MicroExpressionRecord[]) =>
  evs.map((e) => `${e.kind} ${e.onset.toFixed(2)}–${e.offset.toFixed(2)} ${e.regions} ${e.aus}`).join('; ');

/** 7 s at 30 fps of a still photo (the woman in the middle of face-api's sample3.jpg) panned and zoomed slowly. */
async function panClip(): Promise<RgbFrame[]> {
  const photo = join(packageRoot('@vladmandic/face-api'), 'demo', 'sample3.jpg');
  const clip = join(dir, 'pan.mp4');
  // 7 s at 30 fps: 20 % zoom-in and a ±30 px sideways pan over the woman in the middle of the group photo;
  // zoompan moves in whole pixels, and -g 30 puts a keyframe every second, as the reported clip had
  execFileSync(FFMPEG, [
    '-v',
    'error',
    '-y',
    '-loop',
    '1',
    '-framerate',
    '30',
    '-i',
    photo,
    '-vf',
    "crop=800:600:790:60,zoompan=z='1+0.2*on/210':x='(iw-iw/zoom)/2+30*sin(2*PI*on/210)':y='(ih-ih/zoom)/2':d=1:s=640x480:fps=30,format=yuv420p",
    '-frames:v',
    '210',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '30',
    clip,
  ]);
  return decodeClip(clip, 640, 480);
}

let pan: RgbFrame[] | null = null;

test('a still photo panned and zoomed slowly: one stable track, no micro-expression, no event at all', async () => {
  pan ??= await panClip();
  const frames = pan;
  assert.equal(frames.length, 210);
  const { events, ids } = await run(frames, 30);
  const main = ids[0][0];
  assert.equal(main, 0);
  assert.ok(
    ids.every((x) => x.includes(main)),
    'the face keeps its trackId in every frame',
  );
  assert.deepEqual(events, [], describeEvents(events));
});

test('the generated face clip the pipeline tests use (makeFaceClip, 7 s): one stable track, no event at all', async () => {
  // the clip the report came from (28 events before this change); it needs an audio track: silence
  const wav = join(dir, 'silence.wav');
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '7', wav]);
  const frames = await decodeClip(makeFaceClip(dir, wav, 7), 640, 480);
  const { events, ids } = await run(frames, 30);
  assert.ok(
    ids.every((x) => x.includes(0)),
    'the face keeps trackId 0 in every frame',
  );
  assert.deepEqual(events, [], describeEvents(events));
});

/** The frame moved `dx` pixels to the right (the left edge repeated). */
function shifted(f: RgbFrame, dx: number): RgbFrame {
  const rgb = new Uint8Array(f.rgb.length);
  for (let y = 0; y < f.height; y++)
    for (let x = 0; x < f.width; x++) {
      const o = 3 * (y * f.width + x);
      const i = 3 * (y * f.width + Math.max(0, x - dx));
      rgb[o] = f.rgb[i];
      rgb[o + 1] = f.rgb[i + 1];
      rgb[o + 2] = f.rgb[i + 2];
    }
  return { width: f.width, height: f.height, rgb };
}

test('a face hidden for 0.3 s that comes back elsewhere keeps its trackId through the descriptor, not without', async () => {
  pan ??= await panClip();
  const black: RgbFrame = { width: 640, height: 480, rgb: new Uint8Array(640 * 480 * 3) };
  // 2 s visible, 9 frames of nothing (< maxMissingS 0.5 s), then 1 s of the same face 260 px to the right: its box
  // no longer overlaps the old one, so only the faceres descriptor can tell it is the same person
  const frames = [...pan.slice(0, 60), ...Array(9).fill(black), ...pan.slice(69, 99).map((f) => shifted(f, 260))];
  const models = await loadVisionModels({ cache, only: ['faceres'] });
  const withDescriptor = await run(frames, 30, () => 0, new FaceDescriptor(models.faceres));
  const withoutDescriptor = await run(frames, 30);
  const after = (r: Run) => [...new Set(r.ids.slice(69).flat())];
  assert.deepEqual(withDescriptor.ids[0], [0]);
  assert.deepEqual(after(withDescriptor), [0]);
  assert.deepEqual(after(withoutDescriptor), [1]);
});

/**
 * Duration and speech of a clip from one ffmpeg pass: speech is everything outside ffmpeg's silences (−35 dB for
 * ≥ 0.25 s). The frame rate comes from frames / duration: clip 1's average rate in its header (22.13) is not its
 * frame spacing.
 */
function probe(path: string): { seconds: number; speaking: (t: number) => number } {
  const log = spawnSync(FFMPEG, ['-i', path, '-af', 'silencedetect=n=-35dB:d=0.25', '-f', 'null', '-'], {
    encoding: 'utf8',
  }).stderr;
  const d = /Duration: (\d+):(\d+):([0-9.]+)/.exec(log);
  assert.ok(d, `no duration for ${path}`);
  const seconds = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
  const silences: [number, number][] = [];
  let start: number | null = null;
  for (const m of log.matchAll(/silence_(start|end): ([0-9.]+)/g)) {
    if (m[1] === 'start') start = Number(m[2]);
    else if (start !== null) {
      silences.push([start, Number(m[2])]);
      start = null;
    }
  }
  if (start !== null) silences.push([start, Number.POSITIVE_INFINITY]);
  return { seconds, speaking: (t) => (silences.some(([a, b]) => t >= a && t < b) ? 0 : 1) };
}

const TALKING = 'talking';
test('real talking heads (5 clips, 28 s): at most 1 micro-expression in all, at most 2 events per clip', {
  skip: skipWithoutMedia(TALKING),
}, async () => {
  const folder = mediaPath(TALKING) as string;
  const clips = readdirSync(folder)
    .filter((f) => f.endsWith('.mp4'))
    .sort();
  assert.ok(clips.length >= 5);
  const micro: string[] = [];
  for (const f of clips) {
    const path = join(folder, f);
    const { seconds, speaking } = probe(path);
    const frames = await decodeClip(path, 512, 512);
    const fps = Math.round(frames.length / seconds);
    const { events, ids } = await run(frames, fps, speaking);
    console.log(`${f}: ${frames.length} frames at ${fps} fps, ${events.length} events: ${describeEvents(events)}`);
    assert.ok(ids.filter((x) => x.length > 0).length > 0.9 * frames.length, `${f}: a face in most frames`);
    micro.push(...events.filter((e) => e.kind === 'micro').map((e) => `${f} ${describeEvents([e])}`));
    // measured: 0, 0, 1, 0, 0 events; clip 3's is a macro visible on the video (brows raised, AU1 + AU2, at
    // 1.04–2.68 s while she speaks; it used to be swallowed by an event her articulation held open, which head motion
    // then rejected whole). The bound leaves room for one more such expression per clip, not for jitter: the
    // still-photo test holds that at zero.
    assert.ok(events.length <= 2, `${f}: ${describeEvents(events)}`);
  }
  // measured 0 over all five clips; none shows a micro-expression to a viewer either (a 130 ms nose "AU9" at a
  // speech onset of clip 1 was one until the nose's AU stopped counting while the face speaks). One is tolerated: while tuning, a mouth closing right at a speech end (clip 2, 4.72 s) came
  // and went with small smoothing changes before the spotter's speech hangover covered it.
  assert.ok(micro.length <= 1, micro.join('; '));
});

test('body pose runs every bodyEvery global frames, a turn that falls on a detector frame waits one frame; schedulePhase shifts it (stub models)', async () => {
  let frame = 0;
  const detectorFrames: number[] = [];
  const poseFrames: number[] = [];
  const noFaces = {
    detector: {
      detect: async () => {
        detectorFrames.push(frame);
        return [];
      },
    },
    fromDetections: async () => [],
    track: async () => [],
  } as unknown as FaceStack;
  const pose: BodyPose = {
    keypoints: Array.from({ length: 17 }, () => ({ name: 'nose', position: [320, 240], score: 0.9 })),
    score: 0.9,
  } as BodyPose;
  const movenet = {
    run: async () => {
      poseFrames.push(frame);
      return pose;
    },
  } as unknown as MoveNet;
  const blank: RgbFrame = { width: 640, height: 480, rgb: new Uint8Array(640 * 480 * 3) };
  const run = async (schedulePhase: number) => {
    detectorFrames.length = 0;
    poseFrames.length = 0;
    const analyzer = new FrameAnalyzer(noFaces, movenet, { bodyEvery: 6, schedulePhase });
    const tokens: (Float32Array | null)[] = [];
    for (frame = 0; frame < 24; frame++)
      tokens.push((await analyzer.analyse(blank, frame / 30, { global: true, speaking: 0 })).globalToken);
    return tokens;
  };
  // half a period later: due on 3 (a detector frame) → 4, then 10, 16, 22
  await run(0.5);
  assert.deepEqual(poseFrames, [4, 10, 16, 22]);
  const tokens = await run(0);
  // no face: the detector runs every 3rd frame (idleDetectEvery); pose is due on 0 (a detector frame) → 1, then 7, …
  assert.deepEqual(detectorFrames, [0, 3, 6, 9, 12, 15, 18, 21]);
  assert.deepEqual(poseFrames, [1, 7, 13, 19]);
  // the pose is held in the global token between runs
  const score = GLOBAL_TOKEN_LAYOUT.body[0] + 2;
  assert.deepEqual(
    tokens.map((g) => Number(g?.[score].toFixed(2))),
    tokens.map((_, k) => (k === 0 ? 0 : 0.9)),
  );
});
