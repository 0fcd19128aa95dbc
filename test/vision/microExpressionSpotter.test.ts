import assert from 'node:assert/strict';
import { test } from 'node:test';
import { microexpressionSchema } from '../../src/events/schema.ts';
import { ActionUnitEstimator, AU_INDEX } from '../../src/vision/actionUnits.ts';
import { VIDEO_SMOOTHING } from '../../src/vision/frameAnalyzer.ts';
import { headPose } from '../../src/vision/headPose.ts';
import {
  type MicroExpressionRecord,
  MicroExpressionSpotter,
  type SpotterFrame,
} from '../../src/vision/microExpressionSpotter.ts';
import { RegionMotion } from '../../src/vision/regionMotion.ts';
import { collect } from '../harness/stage.ts';
import { blink, browLower, envelope, type FrameSpec, neutralUnitMesh, smile, toFrame } from './syntheticFace.ts';

const FPS = 30;
const unit = neutralUnitMesh();

/**
 * 2 s neutral, then `spec(frame)` for the rest of a 4 s sequence, through AUs + region motion into spotter frames.
 * Without the population prior: the synthetic face is a cartoon several between-person σ off the population's neutral
 * face (see actionUnits.test.ts).
 */
function sequence(
  spec: (frame: number) => FrameSpec,
  speakingAt: number | ((frame: number) => number) = 0,
  est = new ActionUnitEstimator({ prior: false }),
): SpotterFrame[] {
  const rm = new RegionMotion();
  const out: SpotterFrame[] = [];
  for (let f = 0; f < 4 * FPS; f++) {
    const t = f / FPS;
    const lm = toFrame(unit, f, spec(f));
    const speaking = typeof speakingAt === 'number' ? speakingAt : speakingAt(f);
    const r = est.analyse(0, t, lm, speaking);
    const motion = rm.update(t, r.normMesh);
    out.push({ trackId: 0, t, au: r.au, headPose: headPose(lm), speaking, regionMotion: motion.landmark });
  }
  return out;
}

async function spot(frames: SpotterFrame[]): Promise<MicroExpressionRecord[]> {
  return collect(new MicroExpressionSpotter(), frames);
}

const START = 70; // frame of onset (2.33 s)

test('a 200 ms brow lowering is one micro-expression with onset/apex/offset within 2 frames', async () => {
  const len = Math.round(0.2 * FPS);
  const ev = await spot(sequence((f) => ({ offsets: browLower(envelope(f, START, len, len / 2)) })));
  assert.equal(ev.length, 1, JSON.stringify(ev));
  const e = ev[0];
  assert.equal(e.kind, 'micro');
  assert.ok(Math.abs(e.onset * FPS - START) <= 2, `onset ${e.onset * FPS}`);
  assert.ok(Math.abs(e.apex * FPS - (START + len / 2)) <= 2, `apex ${e.apex * FPS}`);
  assert.ok(Math.abs(e.offset * FPS - (START + len)) <= 2, `offset ${e.offset * FPS}`);
  assert.deepEqual(e.regions, ['brows']);
  assert.ok(e.aus.includes('AU4'));
  assert.ok(e.intensity > 0.5);
  microexpressionSchema.parse({
    v: 1,
    type: 'microexpression',
    streamId: 's',
    room: 'r',
    seq: 0,
    t: e.offset,
    wall: 0,
    ...e,
  });
});

test('a 600 ms smile is a macro-expression with AU12', async () => {
  const len = Math.round(0.6 * FPS);
  const ev = await spot(sequence((f) => ({ offsets: smile(envelope(f, START, len, 3)) })));
  assert.equal(ev.length, 1, JSON.stringify(ev));
  assert.equal(ev[0].kind, 'macro');
  assert.ok(ev[0].aus.includes('AU12'));
  assert.ok(ev[0].regions.includes('mouth'));
  assert.ok(Math.abs(ev[0].durationMs - 600) <= 70, `${ev[0].durationMs}`);
});

test('a blink is not a micro-expression', async () => {
  const ev = await spot(sequence((f) => ({ offsets: blink(envelope(f, START, 5, 2)) })));
  assert.deepEqual(ev, []);
});

test('a head turn is not a micro-expression', async () => {
  const ev = await spot(sequence((f) => ({ yaw: 35 * envelope(f, START, 12, 6) })));
  assert.deepEqual(ev, []);
});

test('mouth-only motion while speaking is rejected; the same without speech is spotted', async () => {
  const len = Math.round(0.3 * FPS);
  const spec = (f: number) => {
    const a = envelope(f, START, len, len / 2);
    return { offsets: { 61: [-0.03 * a, -0.05 * a], 291: [0.03 * a, -0.05 * a] } as Record<number, [number, number]> };
  };
  assert.deepEqual(await spot(sequence(spec, 1)), []);
  assert.equal((await spot(sequence(spec, 0))).length, 1);
});

test('mouth motion that speech explains only once it is recognised does not swallow a brow lowering during it', async () => {
  // the lips move from frame START − 15 for 1.2 s; speech is known from frame START − 5 (as when it is read from the
  // lips, a few frames in); a 200 ms brow lowering starts at START + 10, within the mouth motion
  const mouthLen = Math.round(1.2 * FPS);
  const browAt = START + 10;
  const browLen = Math.round(0.2 * FPS);
  const spec = (f: number) => {
    const m = envelope(f, START - 15, mouthLen, 4);
    const mouth: Record<number, [number, number]> = { 61: [-0.03 * m, -0.05 * m], 291: [0.03 * m, -0.05 * m] };
    return { offsets: { ...mouth, ...browLower(envelope(f, browAt, browLen, browLen / 2)) } };
  };
  const ev = await spot(sequence(spec, (f) => (f >= START - 5 ? 1 : 0)));
  assert.equal(ev.length, 1, JSON.stringify(ev));
  const e = ev[0];
  assert.equal(e.kind, 'micro');
  assert.deepEqual(e.regions, ['brows']);
  assert.ok(Math.abs(e.onset * FPS - browAt) <= 2, `onset ${e.onset * FPS}`);
  assert.ok(Math.abs(e.offset * FPS - (browAt + browLen)) <= 2, `offset ${e.offset * FPS}`);
});

test("with FrameAnalyzer's mesh smoothing: the 200 ms brow lowering keeps its timing, blink and head turn stay silent", async () => {
  const smoothed = () => new ActionUnitEstimator({ smoothing: VIDEO_SMOOTHING, prior: false });
  const len = Math.round(0.2 * FPS);
  const ev = await spot(sequence((f) => ({ offsets: browLower(envelope(f, START, len, len / 2)) }), 0, smoothed()));
  assert.equal(ev.length, 1, JSON.stringify(ev));
  assert.equal(ev[0].kind, 'micro');
  assert.ok(Math.abs(ev[0].onset * FPS - START) <= 2, `onset ${ev[0].onset * FPS}`);
  assert.ok(Math.abs(ev[0].apex * FPS - (START + len / 2)) <= 2, `apex ${ev[0].apex * FPS}`);
  assert.ok(Math.abs(ev[0].offset * FPS - (START + len)) <= 2, `offset ${ev[0].offset * FPS}`);
  assert.deepEqual(await spot(sequence((f) => ({ offsets: blink(envelope(f, START, 5, 2)) }), 0, smoothed())), []);
  assert.deepEqual(await spot(sequence((f) => ({ yaw: 35 * envelope(f, START, 12, 6) }), 0, smoothed())), []);
});

/** Spotter frames straight from AU values: `brow(f)` is AU4 at frame f, everything else 0. */
function auFrames(
  brow: (f: number) => number,
  extra: (f: number) => Partial<SpotterFrame> = () => ({}),
): SpotterFrame[] {
  return Array.from({ length: 4 * FPS }, (_, f) => {
    const au = new Float32Array(15);
    au[AU_INDEX.AU4] = brow(f);
    return { trackId: 0, t: f / FPS, au, ...extra(f) };
  });
}

test('a one-frame AU spike is not an expression; the same held for 3 frames is', async () => {
  assert.deepEqual(await spot(auFrames((f) => (f === START ? 0.9 : 0))), []);
  assert.equal((await spot(auFrames((f) => (f >= START && f < START + 3 ? 0.9 : 0)))).length, 1);
});

test('an event whose apex stays under minIntensity (0.3) is dropped even when it crosses the threshold floor', async () => {
  const held = (v: number) => (f: number) => (f >= START && f < START + 6 ? v : 0);
  assert.deepEqual(await spot(auFrames(held(0.27))), []);
  assert.equal((await spot(auFrames(held(0.4)))).length, 1);
});

test('an event while the face moves fast in the image (pan, zoom, head move) is rejected as global motion', async () => {
  const held = (f: number) => (f >= START && f < START + 6 ? 0.9 : 0);
  assert.deepEqual(await spot(auFrames(held, (f) => ({ faceSpeed: f >= START && f < START + 3 ? 6 : 0.2 }))), []);
  assert.equal((await spot(auFrames(held, () => ({ faceSpeed: 0.2 })))).length, 1);
});

test('nothing is spotted in the first warmupS (0.5 s) of a track', async () => {
  assert.deepEqual(await spot(auFrames((f) => (f >= 3 && f < 9 ? 0.9 : 0))), []);
});

/**
 * A still face whose mesh never moves while furrows appear between the brows for 200 ms: only the aligned crop shows
 * it. 64² grey crops with fixed texture and ±2 grey levels of frame noise; the furrows darken a band of the brow box
 * by up to 40 levels. `still` leaves the furrows out and adds `noise` grey levels of random per-pixel camera noise
 * and a lighting drift of `drift` grey levels per second over the whole crop.
 */
function appearanceOnly(
  withAppearance: boolean,
  still: { noise: number; drift: number } | null = null,
): SpotterFrame[] {
  let seed = 12345;
  // deterministic uniform noise in −1..1 (a 32-bit LCG)
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 31 - 1;
  };
  const est = new ActionUnitEstimator({ prior: false });
  const rm = new RegionMotion();
  const S = 64;
  const texture = Float32Array.from({ length: S * S }, (_, k) => 110 + 40 * Math.sin(k * 0.37) * Math.cos(k * 0.11));
  const len = Math.round(0.2 * FPS);
  const out: SpotterFrame[] = [];
  for (let f = 0; f < 4 * FPS; f++) {
    const t = f / FPS;
    const lm = toFrame(unit, f);
    const a = envelope(f, START, len, len / 2);
    const crop = texture.map((v, k) => {
      const x = k % S;
      const y = Math.floor(k / S);
      if (still) return v + still.drift * t + still.noise * rand();
      const furrow = y >= 20 && y <= 24 && x >= 24 && x <= 40 ? -40 * a : 0;
      return v + furrow + 2 * Math.sin(f * 1.7 + k);
    });
    const r = est.analyse(0, t, lm, 0);
    const motion = rm.update(t, r.normMesh, crop, S);
    out.push({
      trackId: 0,
      t,
      au: r.au,
      headPose: headPose(lm),
      regionMotion: motion.landmark,
      ...(withAppearance && motion.appearanceLevel ? { appearance: motion.appearanceLevel } : {}),
    });
  }
  return out;
}

test('a change seen only in appearance (200 ms furrows on a still mesh) is one brow micro-expression', async () => {
  assert.deepEqual(await spot(appearanceOnly(false)), [], 'the AUs alone see nothing');
  const ev = await spot(appearanceOnly(true));
  assert.equal(ev.length, 1, JSON.stringify(ev));
  const e = ev[0];
  const len = Math.round(0.2 * FPS);
  assert.equal(e.kind, 'micro');
  assert.deepEqual(e.regions, ['brows']);
  assert.ok(Math.abs(e.onset * FPS - START) <= 2, `onset ${e.onset * FPS}`);
  assert.ok(Math.abs(e.apex * FPS - (START + len / 2)) <= 2, `apex ${e.apex * FPS}`);
  assert.ok(Math.abs(e.offset * FPS - (START + len)) <= 2, `offset ${e.offset * FPS}`);
});

test('appearance noise alone spots nothing: camera noise on a still face, with and without slow lighting drift', async () => {
  // ±8 grey levels of per-pixel noise (a dim, grainy webcam) and a drift of 4 levels per second (16 over the clip):
  // the 4-px cells average the grain down, the slow reference follows the drift
  for (const still of [
    { noise: 8, drift: 0 },
    { noise: 8, drift: 4 },
    { noise: 2, drift: -6 },
  ]) {
    const ev = await spot(appearanceOnly(true, still));
    assert.deepEqual(ev, [], `${JSON.stringify(still)}: ${JSON.stringify(ev)}`);
  }
});

test('the appearance channel has its own threshold: AU-led events keep their timing when appearance is noisy', async () => {
  // the 200 ms brow lowering of the first test with a noisy appearance input (mean 0.02, ±0.01 every frame, the level
  // of a talking head's mouth region): one max() under one threshold let such noise raise the bar or hold events open
  const len = Math.round(0.2 * FPS);
  const frames = sequence((f) => ({ offsets: browLower(envelope(f, START, len, len / 2)) })).map((fr, i) => {
    const n = 0.02 + 0.01 * Math.sin(i * 2.3);
    return { ...fr, appearance: { brows: n, eyes: n, nose: n, mouth: n, jaw: n } };
  });
  const ev = await spot(frames);
  assert.equal(ev.length, 1, JSON.stringify(ev));
  assert.equal(ev[0].kind, 'micro');
  assert.deepEqual(ev[0].regions, ['brows']);
  assert.ok(Math.abs(ev[0].onset * FPS - START) <= 2, `onset ${ev[0].onset * FPS}`);
  assert.ok(Math.abs(ev[0].offset * FPS - (START + len)) <= 2, `offset ${ev[0].offset * FPS}`);
});
