/**
 * Labelled spotting material from real faces: short expressions spliced into a real neutral clip of the same person.
 *
 * No micro-expression dataset (CAS(ME)², SAMM) can be shipped or downloaded here, so the spotter is scored on
 * semi-synthetic clips whose ground truth is known by construction: the apex frame of one of MEAD's posed clips
 * (the frame where the expression nets are most sure of the label) is aligned onto each frame of the neutral clip
 * (similarity on eye centres and nose tip, which expressions barely move) and cross-faded in with an
 * onset–apex–offset envelope. Pixels are real faces; the dynamics are a linear dissolve rather than muscle motion,
 * so this measures whether the spotter finds, times and classifies an appearance + landmark change of a known
 * duration on a real talking face — not its accuracy on spontaneous micro-expressions.
 */
import { join } from 'node:path';
import { EXPRESSION_CLASSES, type ExpressionClass } from '../../src/events/schema.ts';
import { fivePoints, similarityTransform } from '../../src/vision/alignment.ts';
import type { FaceStack } from '../../src/vision/faceStack.ts';
import { FrameAnalyzer } from '../../src/vision/frameAnalyzer.ts';
import { type HeadPose, headPose } from '../../src/vision/headPose.ts';
import { type RgbFrame, warpAffine } from '../../src/vision/imageOps.ts';
import type { MicroExpressionRecord } from '../../src/vision/microExpressionSpotter.ts';
import { decodeClip } from '../vision/decodeClip.ts';
import { mediaPath } from './media.ts';

export interface ApexFrame {
  frame: RgbFrame;
  /** frame index in its clip and the expression nets' ensemble probability of the label there */
  index: number;
  probability: number;
  landmarks: Float32Array;
}

/**
 * The apex frame for `label`: among the frames where the expression nets give the label at least 0.8 of their
 * highest probability in the clip, the one whose head pose is closest to `pose` (the neutral clip's). A similarity
 * warp cannot undo an out-of-plane head rotation, and a different pitch or yaw dissolved in reads as head motion.
 */
export async function apexFrame(
  stack: FaceStack,
  frames: RgbFrame[],
  label: ExpressionClass,
  pose: HeadPose = { yaw: 0, pitch: 0, roll: 0 },
): Promise<ApexFrame & { poseDistance: number }> {
  const seen: (ApexFrame & { poseDistance: number })[] = [];
  for (let i = 0; i < frames.length; i++) {
    const [face] = await stack.detect(frames[i]);
    if (!face) continue;
    const hp = headPose(face.mesh.landmarks);
    seen.push({
      frame: frames[i],
      index: i,
      probability: face.expression.probs[EXPRESSION_CLASSES.indexOf(label)],
      landmarks: face.mesh.landmarks,
      poseDistance: Math.hypot(hp.yaw - pose.yaw, hp.pitch - pose.pitch, hp.roll - pose.roll),
    });
  }
  if (seen.length === 0) throw new Error(`no face in any frame for ${label}`);
  const top = Math.max(...seen.map((s) => s.probability));
  return seen.filter((s) => s.probability >= 0.8 * top).sort((a, b) => a.poseDistance - b.poseDistance)[0];
}

/** Median head pose over landmarks (the neutral clip's usual pose). */
export function medianPose(landmarks: readonly (Float32Array | null)[]): HeadPose {
  const poses = landmarks.flatMap((lm) => (lm ? [headPose(lm)] : []));
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1] ?? 0;
  return {
    yaw: med(poses.map((p) => p.yaw)),
    pitch: med(poses.map((p) => p.pitch)),
    roll: med(poses.map((p) => p.roll)),
  };
}

export interface Insertion {
  /** first frame index of the envelope in the neutral clip */
  start: number;
  /** frames ramping in, held at the apex, ramping out */
  onsetFrames: number;
  holdFrames: number;
  offsetFrames: number;
}

/** Weight of the apex image at each frame of an insertion (0 < w ≤ 1 inside it). */
export function envelope(ins: Insertion): number[] {
  const w: number[] = [];
  for (let k = 1; k <= ins.onsetFrames; k++) w.push(k / (ins.onsetFrames + 1));
  for (let k = 0; k < ins.holdFrames; k++) w.push(1);
  for (let k = ins.offsetFrames; k >= 1; k--) w.push(k / (ins.offsetFrames + 1));
  return w;
}

/** Ground truth of an insertion, seconds: onset = first changed frame, offset = last changed frame, apex = hold middle. */
export function truthOf(ins: Insertion, fps: number): { onset: number; apex: number; offset: number } {
  const n = ins.onsetFrames + ins.holdFrames + ins.offsetFrames;
  return {
    onset: ins.start / fps,
    apex: (ins.start + ins.onsetFrames + (ins.holdFrames - 1) / 2) / fps,
    offset: (ins.start + n - 1) / fps,
  };
}

/**
 * The neutral clip with the apex face dissolved in at each insertion. `neutralLandmarks[i]` are the mesh landmarks
 * of neutral frame i (from the face stack), used to align the apex face onto that frame.
 */
export function splice(
  neutral: readonly RgbFrame[],
  neutralLandmarks: readonly (Float32Array | null)[],
  apex: ApexFrame,
  insertions: readonly Insertion[],
): RgbFrame[] {
  const out = neutral.map((f) => ({ width: f.width, height: f.height, rgb: f.rgb.slice() }));
  const apexPts = fivePoints(apex.landmarks).slice(0, 3);
  for (const ins of insertions) {
    envelope(ins).forEach((w, k) => {
      const i = ins.start + k;
      const lm = neutralLandmarks[i];
      if (i >= out.length || !lm) throw new Error(`insertion frame ${i} has no neutral face`);
      const f = out[i];
      // maps neutral-frame pixels to apex-frame pixels (warpAffine samples its source through output → source)
      const m = similarityTransform(fivePoints(lm).slice(0, 3), apexPts);
      const warped = warpAffine(apex.frame, m, f.width, f.height, { border: Number.NaN });
      for (let p = 0; p < f.rgb.length; p++) {
        const a = warped[p];
        // outside the apex frame: keep the neutral pixel
        if (Number.isNaN(a)) continue;
        f.rgb[p] = Math.round((1 - w) * f.rgb[p] + w * a);
      }
    });
  }
  return out;
}

/** MEAD's clip of each expression class (the one speaker of ../shared/media/labeled/mead). */
export const MEAD_CLIPS: Partial<Record<ExpressionClass, string>> = {
  happy: 'M030_front_happy_level3_001.mp4',
  sad: 'M030_front_sad_level3_001.mp4',
  angry: 'M030_front_angry_level3_001.mp4',
  fearful: 'M030_front_fear_level3_001.mp4',
  disgusted: 'M030_front_disgusted_level3_001.mp4',
  surprised: 'M030_front_surprised_level3_001.mp4',
};
export const MEAD_NEUTRAL = 'M030_front_neutral_level1_001.mp4';
export const MEAD_FPS = 25;
export const MEAD_SIZE = 256;

/** A micro (200 ms from first to last changed frame at 25 fps) and a macro (760 ms) envelope. */
export const MICRO_AT = (start: number): Insertion => ({ start, onsetFrames: 2, holdFrames: 2, offsetFrames: 2 });
export const MACRO_AT = (start: number): Insertion => ({ start, onsetFrames: 3, holdFrames: 14, offsetFrames: 3 });

/** Mesh landmarks of the first face the stack detects in each frame (null where none): what `splice` aligns onto. */
export function faceLandmarks(stack: FaceStack, frames: readonly RgbFrame[]): Promise<(Float32Array | null)[]> {
  return Promise.all(frames.map(async (f) => (await stack.detect(f))[0]?.mesh.landmarks ?? null));
}

/** A fresh FrameAnalyzer over MEAD-rate frames with a constant speech probability; every spotted expression. */
export async function spotExpressions(
  stack: FaceStack,
  frames: readonly RgbFrame[],
  speaking: number,
): Promise<MicroExpressionRecord[]> {
  const analyzer = new FrameAnalyzer(stack, null);
  const out: MicroExpressionRecord[] = [];
  for (let i = 0; i < frames.length; i++)
    out.push(...(await analyzer.analyse(frames[i], i / MEAD_FPS, { global: false, speaking })).microexpressions);
  out.push(...analyzer.flush());
  return out;
}

/** MEAD's neutral clip as frames with their landmarks, and each label's apex frame posed like them. */
export interface MeadSplicing {
  neutral: RgbFrame[];
  neutralLm: (Float32Array | null)[];
  /** the apex frame of `label`'s clip closest to the neutral clip's median pose; null when that clip is absent */
  apexOf(label: ExpressionClass): Promise<(ApexFrame & { poseDistance: number }) | null>;
}

/** What the spliced-expression test, bench and CLI test start from; null without MEAD's neutral clip. */
export async function loadMeadSplicing(stack: FaceStack): Promise<MeadSplicing | null> {
  const decode = async (file: string | undefined) => {
    const path = file && mediaPath(join('labeled', 'mead', file));
    return path ? decodeClip(path, MEAD_SIZE, MEAD_SIZE) : null;
  };
  const neutral = await decode(MEAD_NEUTRAL);
  if (!neutral) return null;
  const neutralLm = await faceLandmarks(stack, neutral);
  const pose = medianPose(neutralLm);
  return {
    neutral,
    neutralLm,
    apexOf: async (label) => {
      const frames = await decode(MEAD_CLIPS[label]);
      return frames && apexFrame(stack, frames, label, pose);
    },
  };
}
