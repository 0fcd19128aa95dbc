/**
 * Action-unit intensities (FACS-like proxies) from the pose-normalised mesh (alignment.normaliseMesh: inter-ocular
 * distance 1, eye midpoint at the origin, y towards the chin), each relative to the track's neutral baseline
 * (neutralBaseline.ts) and scaled to 0..1 by a full-scale change in inter-ocular units (IOD).
 *
 * Geometric measures (MediaPipe FaceMesh indices; R = subject's right = image left):
 *   innerBrow  −y of inner brow points 107, 55 (R), 336, 285 (L)      outerBrow −y of 70, 46 (R), 300, 276 (L)
 *   browGap    x distance of inner brow heads 55 ↔ 285
 *   eyeOpen    mean lid gap of 159–145, 158–153, 160–144 (R) and 386–374, 385–380, 387–373 (L)
 *   upperLid   −y of upper lids 159, 386                               lowerLid  −y of lower lids 145, 374
 *   cheek      −y of cheeks 50, 280                                    noseWing  −y of alae 98, 327
 *   corner     −y of mouth corners 61, 291                             mouthW    x distance 61 ↔ 291
 *   lipGap     y(14) − y(13) (inner lips)                               jaw       y of chin 152
 *   lipThick   (y13 − y0) + (y17 − y14) (red lip heights)               chinLip   y(152) − y(17)
 * AUs (Δ = measure − baseline, IOD; clamp to 0..1):
 *   AU1  inner brow raiser   Δ innerBrow / 0.06
 *   AU2  outer brow raiser   Δ outerBrow / 0.06
 *   AU4  brow lowerer        ½(−Δ innerBrow / 0.05) + ½(−Δ browGap / 0.05)
 *   AU5  upper lid raiser    Δ upperLid / 0.035
 *   AU6  cheek raiser        ½(Δ cheek / 0.04) + ½(Δ lowerLid / 0.03)
 *   AU7  lid tightener       Δ lowerLid / 0.03 − Δ cheek / 0.04 (the lower lid rising on its own)
 *   AU9  nose wrinkler       Δ noseWing / 0.04
 *   AU12 lip corner puller   0.6(Δ corner / 0.05) + 0.4(Δ mouthW / 0.12), only when the corners rise
 *   AU15 lip corner depressor −Δ corner / 0.04
 *   AU17 chin raiser         −Δ chinLip / 0.04
 *   AU20 lip stretcher       Δ mouthW / 0.1 − max(0, Δ corner) / 0.05 (widening without lifting)
 *   AU23 lip tightener/pressor (23/24) −Δ lipThick / 0.06
 *   AU25 lips part           (Δ lipGap − 0.02) / 0.1
 *   AU26 jaw drop            (Δ jaw − 0.02) / 0.15
 *   AU45 blink               (0.7 − eyeOpen / baseline eyeOpen) / 0.5 (a ratio: eye size differs per person)
 * Speech: lip-corner and lip-shape measures follow articulation (DESIGN: r ≈ 0.6–0.7 with lip gap), so AU12, AU15,
 * AU17, AU20, AU23 are damped by (1 − speechDamp·speaking) and mouth measures never enter the baseline while speaking.
 * AU25/AU26 stay as measured: they are what speech looks like and the spotter needs them.
 */
import { z } from 'zod';
import { AU_NAMES, type AuIntensities, type AuName } from '../events/schema.ts';
import { faceFrame, normaliseMesh } from './alignment.ts';
import { MESH_POINTS } from './faceMesh.ts';
import { NeutralBaseline, neutralBaselineOptionsSchema } from './neutralBaseline.ts';

export const AU_COUNT = AU_NAMES.length;
export const AU_INDEX = Object.fromEntries(AU_NAMES.map((n, i) => [n, i])) as Record<AuName, number>;

export const MEASURES = [
  'innerBrow',
  'outerBrow',
  'browGap',
  'eyeOpen',
  'upperLid',
  'lowerLid',
  'cheek',
  'noseWing',
  'corner',
  'mouthW',
  'lipGap',
  'jaw',
  'lipThick',
  'chinLip',
] as const;
const M = Object.fromEntries(MEASURES.map((n, i) => [n, i])) as Record<(typeof MEASURES)[number], number>;
/** measures that speech moves: frozen in the baseline while speaking */
const MOUTH_MEASURES = new Set<number>([M.corner, M.mouthW, M.lipGap, M.jaw, M.lipThick, M.chinLip]);
const SPEECH_DAMPED: AuName[] = ['AU12', 'AU15', 'AU17', 'AU20', 'AU23'];

/** The landmark indices the measures read (also used for the cheap motion estimate). */
export const AU_LANDMARKS = [
  107, 55, 336, 285, 70, 46, 300, 276, 159, 145, 158, 153, 160, 144, 386, 374, 385, 380, 387, 373, 50, 280, 98, 327, 61,
  291, 13, 14, 0, 17, 152,
] as const;

export const actionUnitOptionsSchema = z.object({
  baseline: neutralBaselineOptionsSchema.prefault({}),
  /** how much full speech damps the speech-driven mouth AUs */
  speechDamp: z.number().min(0).max(1).default(0.7),
});
export type ActionUnitOptions = z.infer<typeof actionUnitOptionsSchema>;

const y = (n: Float32Array, i: number) => n[3 * i + 1];
const x = (n: Float32Array, i: number) => n[3 * i];

/** The geometric measures of one pose-normalised mesh. */
export function meshMeasures(n: Float32Array, out = new Float32Array(MEASURES.length)): Float32Array {
  out[M.innerBrow] = -(y(n, 107) + y(n, 55) + y(n, 336) + y(n, 285)) / 4;
  out[M.outerBrow] = -(y(n, 70) + y(n, 46) + y(n, 300) + y(n, 276)) / 4;
  out[M.browGap] = Math.abs(x(n, 285) - x(n, 55));
  out[M.eyeOpen] =
    (y(n, 145) - y(n, 159) + y(n, 153) - y(n, 158) + y(n, 144) - y(n, 160) + y(n, 374) - y(n, 386)) / 8 +
    (y(n, 380) - y(n, 385) + y(n, 373) - y(n, 387)) / 8;
  out[M.upperLid] = -(y(n, 159) + y(n, 386)) / 2;
  out[M.lowerLid] = -(y(n, 145) + y(n, 374)) / 2;
  out[M.cheek] = -(y(n, 50) + y(n, 280)) / 2;
  out[M.noseWing] = -(y(n, 98) + y(n, 327)) / 2;
  out[M.corner] = -(y(n, 61) + y(n, 291)) / 2;
  out[M.mouthW] = Math.abs(x(n, 291) - x(n, 61));
  out[M.lipGap] = Math.max(0, y(n, 14) - y(n, 13));
  out[M.jaw] = y(n, 152);
  out[M.lipThick] = y(n, 13) - y(n, 0) + (y(n, 17) - y(n, 14));
  out[M.chinLip] = y(n, 152) - y(n, 17);
  return out;
}

const clamp01 = (v: number) => Math.max(0, Math.min(1, v));

/** AU intensities (AU_NAMES order) from measures and their neutral baseline. */
export function auFromMeasures(
  m: Float32Array,
  b: Float32Array,
  speaking: number,
  speechDamp: number,
  out = new Float32Array(AU_COUNT),
) {
  const d = (k: number) => m[k] - b[k];
  const set = (n: AuName, v: number) => {
    out[AU_INDEX[n]] = clamp01(v);
  };
  set('AU1', d(M.innerBrow) / 0.06);
  set('AU2', d(M.outerBrow) / 0.06);
  set('AU4', 0.5 * (-d(M.innerBrow) / 0.05) + 0.5 * (-d(M.browGap) / 0.05));
  set('AU5', d(M.upperLid) / 0.035);
  set('AU6', 0.5 * (d(M.cheek) / 0.04) + 0.5 * (d(M.lowerLid) / 0.03));
  set('AU7', d(M.lowerLid) / 0.03 - d(M.cheek) / 0.04);
  set('AU9', d(M.noseWing) / 0.04);
  set('AU12', d(M.corner) > 0 ? 0.6 * (d(M.corner) / 0.05) + 0.4 * (d(M.mouthW) / 0.12) : 0);
  set('AU15', -d(M.corner) / 0.04);
  set('AU17', -d(M.chinLip) / 0.04);
  set('AU20', d(M.mouthW) / 0.1 - Math.max(0, d(M.corner)) / 0.05);
  set('AU23', -d(M.lipThick) / 0.06);
  set('AU25', (d(M.lipGap) - 0.02) / 0.1);
  set('AU26', (d(M.jaw) - 0.02) / 0.15);
  set('AU45', b[M.eyeOpen] > 0 ? (0.7 - m[M.eyeOpen] / b[M.eyeOpen]) / 0.5 : 0);
  const damp = 1 - speechDamp * clamp01(speaking);
  for (const n of SPEECH_DAMPED) out[AU_INDEX[n]] *= damp;
  return out;
}

export function auRecord(v: ArrayLike<number>): AuIntensities {
  return Object.fromEntries(AU_NAMES.map((n, i) => [n, Math.round(clamp01(v[i]) * 1000) / 1000])) as AuIntensities;
}

/** Everything one frame of one track yields. */
export interface AuFrame {
  t: number;
  /** pose-normalised mesh (inter-ocular units) */
  normMesh: Float32Array;
  measures: Float32Array;
  /** AU intensities, AU_NAMES order, 0..1 */
  au: Float32Array;
  /** d(AU)/dt per second, 0 on a track's first frame */
  auVelocity: Float32Array;
  /** mean speed of the AU landmarks, IOD per second (pose removed) */
  motion: number;
}

interface TrackState {
  baseline: NeutralBaseline;
  prev: AuFrame | null;
}

/**
 * Per-track AU estimation; matches the `AuEstimator` extension point of frameAnalyzer.ts
 * (`estimate(trackId, t, landmarks, speaking)`, `drop(trackId)`), and `analyse` gives the full per-frame result.
 */
export class ActionUnitEstimator {
  readonly opts: ActionUnitOptions;
  private readonly tracks = new Map<number, TrackState>();
  private readonly frozen = MEASURES.map((_, i) => MOUTH_MEASURES.has(i));
  private readonly open = MEASURES.map(() => false);

  constructor(opts: z.input<typeof actionUnitOptionsSchema> = {}) {
    this.opts = actionUnitOptionsSchema.parse(opts);
  }

  /** `landmarks`: 468×3 mesh in frame coordinates; `speaking`: 0..1 (probability or flag). */
  analyse(trackId: number, t: number, landmarks: Float32Array, speaking = 0): AuFrame {
    let st = this.tracks.get(trackId);
    if (!st) {
      st = { baseline: new NeutralBaseline(MEASURES.length, this.opts.baseline), prev: null };
      this.tracks.set(trackId, st);
    }
    const normMesh = normaliseMesh(landmarks, new Float32Array(MESH_POINTS * 3), faceFrame(landmarks));
    const measures = meshMeasures(normMesh);
    const prev = st.prev;
    const dt = prev ? t - prev.t : 0;
    let motion = 0;
    if (prev && dt > 0) {
      for (const i of AU_LANDMARKS) {
        motion += Math.hypot(normMesh[3 * i] - prev.normMesh[3 * i], normMesh[3 * i + 1] - prev.normMesh[3 * i + 1]);
      }
      motion /= AU_LANDMARKS.length * dt;
    }
    st.baseline.offer(t, measures, motion, speaking >= 0.5 ? this.frozen : this.open);
    const au = auFromMeasures(measures, st.baseline.values, speaking, this.opts.speechDamp);
    const auVelocity = new Float32Array(AU_COUNT);
    if (prev && dt > 0) for (let i = 0; i < AU_COUNT; i++) auVelocity[i] = (au[i] - prev.au[i]) / dt;
    const frame: AuFrame = { t, normMesh, measures, au, auVelocity, motion };
    st.prev = frame;
    return frame;
  }

  estimate(trackId: number, t: number, landmarks: Float32Array, speaking: number): AuIntensities {
    return auRecord(this.analyse(trackId, t, landmarks, speaking).au);
  }

  baselineOf(trackId: number): NeutralBaseline | undefined {
    return this.tracks.get(trackId)?.baseline;
  }

  drop(trackId: number): void {
    this.tracks.delete(trackId);
  }
}
