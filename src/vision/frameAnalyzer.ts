/**
 * Per-stream, per-frame face analysis at the source rate: detect every `detectEvery` frames (or when a track is
 * lost), follow faces through their landmarks in between, keep trackIds, and turn each face into what the
 * pipeline needs — a face.frame observation, a local token, mouth activity — plus one global frame token.
 * One instance per stream; it lives in a vision worker thread.
 */
import type { AuIntensities, Face } from '../events/schema.ts';
import { ActionUnitEstimator, auRecord } from './actionUnits.ts';
import type { Box } from './blazeFace.ts';
import { MESH } from './faceMesh.ts';
import type { FaceStack, StackFace } from './faceStack.ts';
import type { RgbFrame } from './imageOps.ts';
import { type MicroExpressionRecord, MicroExpressionSpotter } from './microExpressionSpotter.ts';
import type { BodyPose, MoveNet } from './movenet.ts';
import { RegionMotion } from './regionMotion.ts';
import { SceneMotion } from './sceneMotion.ts';
import { valenceArousal } from './valenceArousal.ts';

export interface FrameAnalyzerOptions {
  /** run the detector at least every N frames to pick up new faces */
  detectEvery: number;
  maxFaces: number;
  /** a track missing for longer than this (seconds) ends */
  maxMissingS: number;
  /** run body pose on every Nth frame the global branch is asked for */
  bodyEvery: number;
  /** IoU needed to keep a trackId when a detection replaces a tracked face */
  matchIou: number;
}

export const defaultFrameAnalyzerOptions: FrameAnalyzerOptions = {
  detectEvery: 10,
  maxFaces: 4,
  maxMissingS: 0.5,
  bodyEvery: 6,
  matchIou: 0.3,
};

/** Local token layout (per face per frame), LOCAL_TOKEN_DIM floats. */
export const LOCAL_TOKEN_LAYOUT = {
  /** ensemble probabilities, EXPRESSION_CLASSES order */
  probs: [0, 7],
  /** Human emotion net logits, EXPRESSION_CLASSES order */
  emotionLogits: [7, 14],
  /** face-api expression net logits */
  faceExpressionLogits: [14, 21],
  /** AU intensities, AU_NAMES order */
  au: [21, 36],
  /** AU velocities (per second) */
  auVelocity: [36, 51],
  /** the two nets' 256-d appearance embeddings */
  emotionEmbedding: [51, 307],
  faceExpressionEmbedding: [307, 563],
} as const;
export const LOCAL_TOKEN_DIM = 563;

/** Global token layout (per frame), GLOBAL_TOKEN_DIM floats. */
export const GLOBAL_TOKEN_LAYOUT = {
  /** yaw, pitch, roll of the largest face / 90° */
  headPose: [0, 3],
  /** largest face centre x, y (0..1 of the frame) and height (fraction of frame height) */
  facePosition: [3, 6],
  /** number of faces / maxFaces */
  faceCount: [6, 7],
  /** scene motion, body-region motion (0..1) */
  motion: [7, 9],
  /** 17 body keypoints (x, y in 0..1, score), zeros when unknown */
  body: [9, 60],
} as const;
export const GLOBAL_TOKEN_DIM = 60;

export interface AnalysedFace {
  observation: Face;
  localToken: Float32Array;
  /** lip gap change since the previous frame, relative to the inter-ocular distance */
  mouthActivity: number;
  landmarks: Float32Array;
}

export interface FrameAnalysis {
  t: number;
  faces: AnalysedFace[];
  globalToken: Float32Array | null;
  /** micro-/macro-expressions whose offset was confirmed on this frame (or whose track ended) */
  microexpressions: MicroExpressionRecord[];
}

interface Track {
  id: number;
  landmarks: Float32Array;
  box: Box;
  lastSeen: number;
  lipGap: number | null;
  regions: RegionMotion;
}

function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

function dist(lm: Float32Array, a: number, b: number): number {
  return Math.hypot(lm[3 * a] - lm[3 * b], lm[3 * a + 1] - lm[3 * b + 1]);
}

/**
 * Head pose in degrees from the mesh: roll from the eye line, yaw from the depth difference of the outer eye
 * corners, pitch from the depth difference of forehead and chin (facemesh z is in the same units as x).
 */
export function headPoseFromMesh(lm: Float32Array): { yaw: number; pitch: number; roll: number } {
  const r = MESH.rightEyeOuter;
  const l = MESH.leftEyeOuter;
  const deg = 180 / Math.PI;
  const dx = lm[3 * l] - lm[3 * r];
  const dy = lm[3 * l + 1] - lm[3 * r + 1];
  const roll = Math.atan2(dy, dx) * deg;
  const yaw = Math.atan2(lm[3 * l + 2] - lm[3 * r + 2], Math.hypot(dx, dy)) * deg;
  const f = MESH.foreheadTop;
  const c = MESH.chin;
  const vy = Math.hypot(lm[3 * c] - lm[3 * f], lm[3 * c + 1] - lm[3 * f + 1]);
  const pitch = Math.atan2(lm[3 * f + 2] - lm[3 * c + 2], vy) * deg;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { yaw: round(yaw), pitch: round(pitch), roll: round(roll) };
}

export class FrameAnalyzer {
  private tracks: Track[] = [];
  private nextId = 0;
  private frames = 0;
  private forceDetect = true;
  private readonly motion = new SceneMotion();
  private body: BodyPose | null = null;
  private globalFrames = 0;
  readonly options: FrameAnalyzerOptions;

  constructor(
    private readonly stack: FaceStack,
    private readonly movenet: MoveNet | null,
    options: Partial<FrameAnalyzerOptions> = {},
    private readonly aus = new ActionUnitEstimator(),
    private readonly spotter = new MicroExpressionSpotter(),
  ) {
    this.options = { ...defaultFrameAnalyzerOptions, ...options };
  }

  async analyse(frame: RgbFrame, t: number, opts: { global: boolean; speaking: number }): Promise<FrameAnalysis> {
    const microexpressions: MicroExpressionRecord[] = [];
    const emit = (r: MicroExpressionRecord) => microexpressions.push(r);
    const found = await this.findFaces(frame, t, emit);
    const faces = found.map(({ face, track }) => this.describe(face, track, t, opts.speaking, emit));
    const globalToken = opts.global ? await this.globalToken(frame, faces) : null;
    this.frames++;
    return { t, faces, globalToken, microexpressions };
  }

  /** End of stream: expressions still open on any track. */
  flush(): MicroExpressionRecord[] {
    const out: MicroExpressionRecord[] = [];
    this.spotter.flush((r) => out.push(r));
    return out;
  }

  private async findFaces(
    frame: RgbFrame,
    t: number,
    emit: (r: MicroExpressionRecord) => void,
  ): Promise<{ face: StackFace; track: Track }[]> {
    const o = this.options;
    const detect = this.forceDetect || this.tracks.length === 0 || this.frames % o.detectEvery === 0;
    let pairs: { face: StackFace; track: Track }[];
    if (detect) {
      const faces = (await this.stack.detect(frame))
        .sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h)
        .slice(0, o.maxFaces);
      pairs = this.associate(faces, t);
      this.forceDetect = false;
    } else {
      const tracked = await this.stack.track(
        frame,
        this.tracks.map((tr) => tr.landmarks),
      );
      pairs = [];
      tracked.forEach((f, i) => {
        if (f) pairs.push({ face: f, track: this.tracks[i] });
        else this.forceDetect = true; // a lost face: look again on the next frame
      });
    }
    for (const { face, track } of pairs) {
      track.landmarks = face.mesh.landmarks.slice();
      track.box = face.box;
      track.lastSeen = t;
    }
    const gone = this.tracks.filter((tr) => t - tr.lastSeen > o.maxMissingS);
    for (const g of gone) {
      this.aus.drop(g.id);
      this.spotter.endTrack(g.id, emit);
    }
    this.tracks = this.tracks.filter((tr) => t - tr.lastSeen <= o.maxMissingS);
    return pairs.sort((a, b) => a.track.id - b.track.id);
  }

  /** Greedy IoU matching of detections to existing tracks; unmatched detections open new tracks. */
  private associate(faces: StackFace[], t: number): { face: StackFace; track: Track }[] {
    const cand: { i: number; j: number; v: number }[] = [];
    faces.forEach((f, i) => {
      this.tracks.forEach((tr, j) => {
        const v = boxIou(f.box, tr.box);
        if (v >= this.options.matchIou) cand.push({ i, j, v });
      });
    });
    cand.sort((a, b) => b.v - a.v);
    const usedF = new Set<number>();
    const usedT = new Set<number>();
    const out: { face: StackFace; track: Track }[] = [];
    for (const c of cand) {
      if (usedF.has(c.i) || usedT.has(c.j)) continue;
      usedF.add(c.i);
      usedT.add(c.j);
      out.push({ face: faces[c.i], track: this.tracks[c.j] });
    }
    faces.forEach((f, i) => {
      if (usedF.has(i) || this.tracks.length >= this.options.maxFaces + 2) return;
      const track: Track = {
        id: this.nextId++,
        landmarks: f.mesh.landmarks,
        box: f.box,
        lastSeen: t,
        lipGap: null,
        regions: new RegionMotion(),
      };
      this.tracks.push(track);
      out.push({ face: f, track });
    });
    return out;
  }

  private describe(
    face: StackFace,
    track: Track,
    t: number,
    speaking: number,
    emit: (r: MicroExpressionRecord) => void,
  ): AnalysedFace {
    const lm = face.mesh.landmarks;
    const iod = Math.max(1, dist(lm, MESH.rightEyeOuter, MESH.leftEyeOuter));
    const gap = dist(lm, 13, 14) / iod;
    const mouthActivity = track.lipGap === null ? 0 : Math.abs(gap - track.lipGap);
    track.lipGap = gap;
    const auFrame = this.aus.analyse(track.id, t, lm, speaking);
    const au: AuIntensities = auRecord(auFrame.au);
    const headPose = headPoseFromMesh(lm);
    const motion = track.regions.update(t, auFrame.normMesh);
    this.spotter.push(
      {
        trackId: track.id,
        t,
        au: auFrame.au,
        headPose,
        speaking,
        regionMotion: motion.landmark,
        expression: face.expression.probs,
      },
      emit,
    );
    const token = new Float32Array(LOCAL_TOKEN_DIM);
    const L = LOCAL_TOKEN_LAYOUT;
    const { expression } = face;
    token.set(expression.probs, L.probs[0]);
    token.set(expression.emotion.logits, L.emotionLogits[0]);
    token.set(expression.faceExpression.logits, L.faceExpressionLogits[0]);
    token.set(auFrame.au, L.au[0]);
    token.set(auFrame.auVelocity, L.auVelocity[0]);
    token.set(expression.emotion.embedding, L.emotionEmbedding[0]);
    token.set(expression.faceExpression.embedding, L.faceExpressionEmbedding[0]);
    const probs = Object.fromEntries(
      (['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const).map((c, i) => [
        c,
        Math.min(1, Math.max(0, expression.probs[i])),
      ]),
    ) as Face['expression'];
    const va = valenceArousal(probs);
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    return {
      observation: {
        trackId: track.id,
        box: { x: r3(face.box.x), y: r3(face.box.y), w: r3(face.box.w), h: r3(face.box.h) },
        score: Math.min(1, Math.max(0, face.score)),
        headPose,
        expression: probs,
        au,
        valence: va.valence,
        arousal: va.arousal,
      },
      localToken: token,
      mouthActivity,
      landmarks: lm,
    };
  }

  private async globalToken(frame: RgbFrame, faces: AnalysedFace[]): Promise<Float32Array> {
    const g = new Float32Array(GLOBAL_TOKEN_DIM);
    const L = GLOBAL_TOKEN_LAYOUT;
    const main = faces.reduce<AnalysedFace | null>(
      (a, f) => (!a || f.observation.box.w * f.observation.box.h > a.observation.box.w * a.observation.box.h ? f : a),
      null,
    );
    if (main) {
      const { yaw, pitch, roll } = main.observation.headPose;
      g.set([yaw / 90, pitch / 90, roll / 90], L.headPose[0]);
      const b = main.observation.box;
      g.set([(b.x + b.w / 2) / frame.width, (b.y + b.h / 2) / frame.height, b.h / frame.height], L.facePosition[0]);
    }
    g[L.faceCount[0]] = faces.length / this.options.maxFaces;
    if (this.movenet && this.globalFrames++ % this.options.bodyEvery === 0) this.body = await this.movenet.run(frame);
    let bodyBox: Box | undefined;
    if (this.body) {
      const good = this.body.keypoints.filter((k) => k.score >= 0.3);
      this.body.keypoints.forEach((k, i) => {
        g.set([k.position[0] / frame.width, k.position[1] / frame.height, k.score], L.body[0] + 3 * i);
      });
      if (good.length >= 3) {
        const xs = good.map((k) => k.position[0]);
        const ys = good.map((k) => k.position[1]);
        bodyBox = {
          x: Math.min(...xs),
          y: Math.min(...ys),
          w: Math.max(...xs) - Math.min(...xs),
          h: Math.max(...ys) - Math.min(...ys),
        };
      }
    }
    const m = this.motion.update(frame, bodyBox);
    g.set([m.scene, m.region], L.motion[0]);
    return g;
  }
}
