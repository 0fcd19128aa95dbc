/**
 * Per-stream, per-frame face analysis at the source rate: faceTracker.ts detects every `detectEvery` frames (or when
 * a track is lost), follows faces through their landmarks in between and keeps trackIds (re-identified with the face
 * descriptor when one is given); each face becomes what the pipeline needs — a face.frame observation, a local token,
 * mouth activity — plus one global frame token. One instance per stream; it lives in a vision worker thread.
 * The AU estimator smooths each track's normalised mesh (VIDEO_SMOOTHING): decoded video jitters the mesh from frame
 * to frame (keyframes, compression), which the spotter would otherwise read as motion.
 */
import type { AuIntensities, Face } from '../events/schema.ts';
import { ActionUnitEstimator, auRecord } from './actionUnits.ts';
import { ALIGNED_GREY, rigidAlignmentAffine } from './alignment.ts';
import type { Box } from './blazeFace.ts';
import type { FaceDescriptor } from './faceDescriptor.ts';
import { MESH } from './faceMesh.ts';
import type { FaceStack, StackFace } from './faceStack.ts';
import { FaceTracker } from './faceTracker.ts';
import { headPoseFromFrame } from './headPose.ts';
import { GREY_WEIGHTS, invertAffine, type RgbFrame, warpAffine, withPinnedFrame } from './imageOps.ts';
import { type MicroExpressionRecord, MicroExpressionSpotter } from './microExpressionSpotter.ts';
import type { BodyPose, MoveNet } from './movenet.ts';
import { RegionMotion } from './regionMotion.ts';
import { rigidRotationDeg } from './rigidMotion.ts';
import { SceneMotion } from './sceneMotion.ts';
import { valenceArousal } from './valenceArousal.ts';
import { VisualSpeech } from './visualSpeech.ts';

export interface FrameAnalyzerOptions {
  /** run the detector at least every N frames to pick up new faces */
  detectEvery: number;
  maxFaces: number;
  /** a track missing for longer than this (seconds) ends */
  maxMissingS: number;
  /**
   * run body pose on every Nth frame the global branch is asked for. MoveNet is the costliest model per run
   * (~12 ms, as much as a whole tracking frame); posture changes slowly next to faces, and the global token's motion
   * energy (scene and body box) is still measured on every global frame, so 2 Hz pose keeps the context.
   */
  bodyEvery: number;
  /** IoU needed to keep a trackId when a detection replaces a tracked face */
  matchIou: number;
  /**
   * feed each region's appearance change on an aligned 64² grey crop to the spotter next to the AUs (regionMotion.ts
   * appearanceLevel; the spotter gives it its own threshold). On by default: on bench/spotting (speech known) F1
   * 0.909 → 0.957 and onset error 32 → 4 ms (part of it from maxHeadSpeed 100, which came with it); with speech known
   * only from the lips (the bench's silent_* run) F1 0.818 → 0.957 once what speech moves stopped holding events open
   * (microExpressionSpotter.ts SPEECH_MOVED). The still clips of test/vision/frameAnalyzer.test.ts stay at 0 events,
   * the talking heads give one (a 1.6 s brow raise while speaking). The crop is fitted on eyes and nose only
   * (alignment.rigidAlignmentAffine), and an open event holds its reference still. ~0.05 ms per face for the warp.
   */
  appearanceSpotting: boolean;
  /**
   * this stream's phase in the periodic schedules, 0..1: the detector frames (every detectEvery) and the body-pose
   * frames (every bodyEvery) are shifted by this fraction of their period. Streams sharing a worker thread get
   * different phases (visionWorker.ts), so their costliest frames do not coincide: with 4 streams started together
   * on 2 workers, two detector frames back to back (~25 ms each) outlasted a frame period and the gate dropped frames.
   */
  schedulePhase: number;
}

export const defaultFrameAnalyzerOptions: FrameAnalyzerOptions = {
  detectEvery: 10,
  maxFaces: 4,
  maxMissingS: 0.5,
  bodyEvery: 15,
  matchIou: 0.3,
  appearanceSpotting: true,
  schedulePhase: 0,
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
  /** one-sided lip-corner pull 0..1 (unilateral AU12/AU14, contempt: actionUnits.lipCornerAsymmetry) */
  asymmetry: [563, 564],
} as const;
export const LOCAL_TOKEN_DIM = 564;

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

interface TrackState {
  lipGap: number | null;
  regions: RegionMotion;
  /** previous eye midpoint (frame pixels), inter-ocular distance and time, for the face's image speed */
  prev: { x: number; y: number; iod: number; t: number } | null;
  /** previous landmarks (frame pixels), for the rigid head rotation speed */
  prevLm: Float32Array | null;
  /** articulation seen on the lips, for when the audio does not say the face speaks */
  lips: VisualSpeech;
  /** the aligned grey crop (appearance spotting), reused per frame */
  grey: Float32Array | null;
}

function dist(lm: Float32Array, a: number, b: number): number {
  return Math.hypot(lm[3 * a] - lm[3 * b], lm[3 * a + 1] - lm[3 * b + 1]);
}

/**
 * One-Euro settings for the normalised mesh of decoded video (IOD units). beta 50, not 20: at 20 a synthetic 200 ms
 * brow lowering closed 3 frames late; at 50 it keeps the 2-frame tolerance, and the real-video tests
 * (test/vision/frameAnalyzer.test.ts, meadAus.test.ts) give the same event counts and asserted AU peaks within 0.05.
 */
export const VIDEO_SMOOTHING = { minCutoff: 1.5, beta: 50, dCutoff: 1 } as const;

export class FrameAnalyzer {
  private readonly tracker: FaceTracker;
  private readonly state = new Map<number, TrackState>();
  private readonly motion = new SceneMotion();
  private body: BodyPose | null = null;
  private globalFrames = 0;
  private nextBodyFrame = 0;
  readonly options: FrameAnalyzerOptions;

  constructor(
    stack: FaceStack,
    private readonly movenet: MoveNet | null,
    options: Partial<FrameAnalyzerOptions> = {},
    private readonly aus = new ActionUnitEstimator({ smoothing: VIDEO_SMOOTHING }),
    private readonly spotter = new MicroExpressionSpotter(),
    descriptor: FaceDescriptor | null = null,
  ) {
    this.options = { ...defaultFrameAnalyzerOptions, ...options };
    const o = this.options;
    // the frame within a period of `every` frames where this stream's share of that schedule falls
    const phaseIn = (every: number) => Math.floor(o.schedulePhase * every) % every;
    this.nextBodyFrame = phaseIn(o.bodyEvery);
    this.tracker = new FaceTracker(
      stack,
      {
        detectEvery: o.detectEvery,
        detectPhase: phaseIn(o.detectEvery),
        maxFaces: o.maxFaces,
        maxMissingS: o.maxMissingS,
        matchIou: o.matchIou,
      },
      descriptor,
    );
  }

  /** `halfExpression`: the face branch's degraded mode under load (FaceTracker.process). */
  async analyse(
    frame: RgbFrame,
    t: number,
    opts: { global: boolean; speaking: number; halfExpression?: boolean },
  ): Promise<FrameAnalysis> {
    // the frame's pixels stay put until analyse() returns: its crops (detector, mesh, expression, descriptor, eyes,
    // body, aligned grey) share one copy in the warp kernel's memory
    return withPinnedFrame(frame, async () => {
      const microexpressions: MicroExpressionRecord[] = [];
      const emit = (r: MicroExpressionRecord) => microexpressions.push(r);
      const step = await this.tracker.process(frame, t, opts.halfExpression ?? false);
      for (const id of step.ended) this.endTrack(id, emit);
      const faces = step.faces.map(({ face, trackId }) => this.describe(frame, face, trackId, t, opts.speaking, emit));
      const globalToken = opts.global ? await this.globalToken(frame, faces, step.detectorRan) : null;
      return { t, faces, globalToken, microexpressions };
    });
  }

  /** End of stream: expressions still open on any track. */
  flush(): MicroExpressionRecord[] {
    const out: MicroExpressionRecord[] = [];
    this.spotter.flush((r) => out.push(r));
    return out;
  }

  private endTrack(id: number, emit: (r: MicroExpressionRecord) => void): void {
    this.aus.drop(id);
    this.spotter.endTrack(id, emit);
    this.state.delete(id);
  }

  private describe(
    frame: RgbFrame,
    face: StackFace,
    trackId: number,
    t: number,
    speaking: number,
    emit: (r: MicroExpressionRecord) => void,
  ): AnalysedFace {
    let track = this.state.get(trackId);
    if (!track) {
      track = {
        lipGap: null,
        regions: new RegionMotion(),
        prev: null,
        prevLm: null,
        lips: new VisualSpeech(),
        grey: this.options.appearanceSpotting ? new Float32Array(ALIGNED_GREY * ALIGNED_GREY) : null,
      };
      this.state.set(trackId, track);
    }
    const lm = face.mesh.landmarks;
    const iod = Math.max(1, dist(lm, MESH.rightEyeOuter, MESH.leftEyeOuter));
    const gap = dist(lm, 13, 14) / iod;
    const mouthActivity = track.lipGap === null ? 0 : Math.abs(gap - track.lipGap);
    track.lipGap = gap;
    // rhythmic lip motion (speech without audio, chewing) is not an expression: the spotter treats it as speech
    const articulating = track.lips.push(t, gap);
    const auFrame = this.aus.analyse(trackId, t, lm, speaking, face.expression.probs[0]);
    const au: AuIntensities = auRecord(auFrame.au);
    const pose = headPoseFromFrame(auFrame.faceFrame);
    const round = (x: number) => Math.round(x * 10) / 10;
    const headPose = { yaw: round(pose.yaw), pitch: round(pose.pitch), roll: round(pose.roll) };
    if (track.grey) {
      const toCrop = rigidAlignmentAffine(lm, ALIGNED_GREY);
      warpAffine(frame, invertAffine(toCrop), ALIGNED_GREY, ALIGNED_GREY, { grey: GREY_WEIGHTS }, track.grey);
    }
    // an open event holds the appearance reference still, so it does not absorb the expression it measures
    const hold = this.spotter.inEvent(trackId);
    const motion = track.regions.update(t, auFrame.normMesh, track.grey ?? undefined, ALIGNED_GREY, hold);
    const { origin, iod: iodPx } = auFrame.faceFrame;
    let faceSpeed = 0;
    const p = track.prev;
    if (p && t > p.t && p.iod > 0 && iodPx > 0) {
      const move = Math.hypot(origin[0] - p.x, origin[1] - p.y) / p.iod;
      faceSpeed = (move + Math.abs(Math.log(iodPx / p.iod))) / (t - p.t);
    }
    const headSpeed = p && track.prevLm && t > p.t ? rigidRotationDeg(track.prevLm, lm) / (t - p.t) : 0;
    track.prevLm = track.prevLm ?? new Float32Array(lm.length);
    track.prevLm.set(lm);
    track.prev = { x: origin[0], y: origin[1], iod: iodPx, t };
    this.spotter.push(
      {
        trackId,
        t,
        au: auFrame.au,
        headPose,
        speaking: Math.max(speaking, articulating),
        regionMotion: motion.landmark,
        expression: face.expression.probs,
        faceSpeed,
        headSpeed,
        ...(motion.appearanceLevel ? { appearance: motion.appearanceLevel } : {}),
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
    token[L.asymmetry[0]] = auFrame.asymmetry;
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
        trackId,
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

  private async globalToken(frame: RgbFrame, faces: AnalysedFace[], detectorRan: boolean): Promise<Float32Array> {
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
    // a pose that falls due on a detector frame waits one frame: the two together made the slowest frames (~2.5× a
    // tracking frame), long enough to queue the next frame behind them
    if (this.movenet && this.globalFrames++ >= this.nextBodyFrame && !detectorRan) {
      this.body = await this.movenet.run(frame);
      this.nextBodyFrame = this.globalFrames - 1 + this.options.bodyEvery;
    }
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
