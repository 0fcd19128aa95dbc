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
 *   lipThick   (y13 − y0) + (y17 − y14) (red lip heights)
 *   chinLip    y(152) − y(17) + 0.4·lipGap: the lower lip drops with an opening mouth ~0.4× the lip gap more than
 *              the chin point does, which alone read as AU17 (within-clip slope on the talking heads of
 *              ../shared/media/talking 1–5: 0.22–0.60, median 0.39; scripts/neutralPrior.ts --slopes)
 *   cornerR/L  −y of one corner (61 / 291)
 *   liftR/L    y(lip midline) − y(corner) − 0.4·lipGap, midline = (y13 + y14)/2: the corner against the mouth's own
 *              centre, so a dropping jaw (speech) does not read as a depressed corner; the midline itself drops with
 *              half the lip gap while the corners stay, so the raw lift grows with an opening mouth (slope 0.32–0.49
 *              on talking heads 1–5, median 0.37, r ≈ 0.9): 0.4·lipGap takes that out, or every open mouth reads AU12
 *   liftAsym   liftL − liftR = y(61) − y(291): how much higher the left corner sits than the right (the midline and
 *              the lip-gap correction cancel), signed
 *
 * Baseline: the track's own gated neutral samples, starting from the population's neutral face (neutralPrior.ts,
 * measured on non-MEAD media) and handing over to the track's own median as its confidently-neutral samples
 * accumulate (NeutralBaseline, `priorShare` = how much is still the population's).
 * Dead zone: Δ⁺ = max(0, Δ − z), Δ⁻ = max(0, −Δ − z), Δ = measure − baseline, per measure
 *   z = min(maxDeadZone, noiseK·σ_own) + identityK·σ_pop·priorShare
 * with σ_own the measure's robust spread over the track's gated neutral samples (NeutralBaseline.spread: landmark
 * jitter, talking) and σ_pop its between-person spread in the population (neutralPrior.ts). A still face keeps full
 * sensitivity; a jittery or talking one does not read its own noise as expression; and while the reference is still
 * (partly) the population's, a face whose neutral differs from the population's by up to identityK·σ_pop reads no
 * AU from it: the reference's bias, priorShare·(population − own), never exceeds that share of the dead zone.
 *
 * Where the constants come from (the MEAD clips are the evaluation set and calibrate nothing): the full-scale
 * divisors are FACS-style intensity spans in IOD from the first version of this file, set before any real video was
 * measured (0.06 brow raise, 0.05 brow lowering, 0.04 cheek/nose/corner depression, 0.03 lower lid, 0.12–0.15 mouth
 * width); the speech corrections, the smile cross-talk factors and the population prior are measured on the other
 * real media (../shared/media talking/, faces/), as cited per AU.
 * AUs (clamped to 0..1):
 *   AU1  inner brow raiser   Δ⁺ innerBrow / 0.06
 *   AU2  outer brow raiser   Δ⁺ outerBrow / 0.06
 *   AU4  brow lowerer        ½ Δ⁻ innerBrow / 0.05 + ½ Δ⁻ browGap / 0.05
 *   AU5  upper lid raiser    Δ⁺ eyeOpen / 0.04 (the aperture widening; 0.04 IOD ≈ 40 % of the population's neutral
 *                            lid gap of 0.098, neutralPrior.ts: FACS' AU5 E shows sclera above the iris, a gap
 *                            about that much wider. The upper lid's height alone moved with the whole eye region.)
 *   AU6  cheek raiser        ½ Δ⁺ cheek / 0.04 + ½ Δ⁺ lowerLid / 0.03
 *   AU7  lid tightener       Δ⁺ lowerLid / 0.03 − ½ Δ⁺ cheek / 0.04 (the lower lid rising more than the cheek
 *                            pushes it: in a smile (AU6) the lower lid rises ~0.45× the cheek — single_face.mp4
 *                            smiling, against the population prior: lid +0.014, cheek +0.032 — so half cancels)
 *   AU9  nose wrinkler       (Δ⁺ noseWing − 0.3 Δ⁺ corner) / 0.04 (a smile lifts the alae ~0.3× the corner lift:
 *                            0.32 and 0.43 on the smiling talkers single_face.mp4 and WolfgangLanger_Pexels.mp4)
 *   AU12 lip corner puller   0.6 lift / 0.05 + 0.4 Δ⁺ mouthW / 0.12 with lift = max(Δ⁺ liftR, Δ⁺ liftL), only when a
 *                            corner rises against the mouth's centre; the stronger side, so a one-sided pull
 *                            (contempt) shows. Not the corners' height in the face (cornerR/L): that is mostly
 *                            face length (between-person σ 0.06 IOD, neutralPrior.ts), the lift σ 0.02
 *   AU15 lip corner depressor ½ (Δ⁻ liftR + Δ⁻ liftL) / 0.04 (both sides: a naturally crooked mouth, one corner
 *                            lower, is identity, not AU15)
 *   AU17 chin raiser         Δ⁻ chinLip / 0.04
 *   AU20 lip stretcher       Δ⁺ mouthW / 0.15 − ½ (Δ⁺ liftR + Δ⁺ liftL) / 0.05 (widening without lifting; 0.15, not
 *                            0.1: speech alone widens the mouth by 0.03–0.21 IOD, median 0.11, at its p90 over the
 *                            closed-mouth width on talking/1–5.mp4). A corner's lift explains its own side's share
 *                            of the widening (the mean of the two lifts, not the larger): a smile lifts both and
 *                            reads no AU20 as before, while one corner lifted no longer hides the other side's
 *                            stretch (FACS scores 12 and 20 per side; EMFACS' fear has unilateral 20 variants)
 *   AU23 lip tightener/pressor (23/24) Δ⁻ lipThick / 0.06
 *   AU25 lips part           (Δ lipGap − 0.02 − zᵢ) / 0.1 (no noise dead zone: parted lips are what speech looks
 *                            like; zᵢ = identityK·σ_pop·priorShare only, as the face's length is identity)
 *   AU26 jaw drop            (Δ jaw − 0.02 − zᵢ) / 0.15 (as AU25)
 *   AU45 blink               (0.7 − eyeOpen / baseline eyeOpen) / 0.5 (a ratio: eye size differs per person)
 * Lip-corner asymmetry (not an AU of its own, and not in the event schema's AU record: it rides in the local token,
 * frameAnalyzer.LOCAL_TOKEN_LAYOUT.asymmetry): the one-sided lip-corner pull, unilateral AU12/AU14 — FACS
 * (Ekman, Friesen & Hager 2002) scores them with an L/R prefix, and EMFACS' contempt is exactly that action
 * (R12A+R14A, L12A+L14A, unilateral 14; Ekman & Friesen 1986, Matsumoto 1992: the unilateral lip-corner tightening
 * and raising is the contempt expression recognised across cultures). Measured as the *change* of liftAsym against
 * the track's neutral baseline, so a naturally crooked mouth (identity) is removed the way every other measure's
 * identity is: |Δ liftAsym| beyond its dead zone, / 0.05 — one corner pulled by AU12's full-scale lift (0.05 IOD)
 * while the other stays is 1. Its population prior (neutralPrior.ts) is measured like the others, σ_pop 0.0225 IOD.
 * A symmetric smile moves both corners alike and reads 0; damped in speech like AU12.
 * Speech: lip-corner and lip-shape measures follow articulation (DESIGN: r ≈ 0.6–0.7 with lip gap), so AU12, AU15,
 * AU17, AU20, AU23 are damped by (1 − speechDamp·speaking) and mouth measures never enter the baseline while speaking.
 * AU25/AU26 stay as measured: they are what speech looks like and the spotter needs them.
 * Jitter: when `smoothing` is on, the normalised mesh (the points measures and region motion read) is One-Euro
 * filtered per track (oneEuro.ts) before any measure, so frame-to-frame mesh noise of decoded video neither moves the
 * AUs nor reads as region motion.
 */
import { z } from 'zod';
import { AU_NAMES, type AuIntensities, type AuName } from '../events/schema.ts';
import { type FaceFrame, faceFrame, normaliseMesh } from './alignment.ts';
import { MESH_POINTS } from './faceMesh.ts';
import { NeutralBaseline, type NeutralPrior, neutralBaselineOptionsSchema } from './neutralBaseline.ts';
import { NEUTRAL_PRIOR } from './neutralPrior.ts';
import { OneEuroVector } from './oneEuro.ts';
import { REGION_LANDMARKS } from './regionMotion.ts';

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
  'cornerR',
  'cornerL',
  'liftR',
  'liftL',
  'liftAsym',
] as const;
const M = Object.fromEntries(MEASURES.map((n, i) => [n, i])) as Record<(typeof MEASURES)[number], number>;
/** measures that speech moves: frozen in the baseline while speaking */
const MOUTH_MEASURES = new Set<number>([
  M.corner,
  M.mouthW,
  M.lipGap,
  M.jaw,
  M.lipThick,
  M.chinLip,
  M.cornerR,
  M.cornerL,
  M.liftR,
  M.liftL,
  M.liftAsym,
]);
/** AU25 and AU26 read absolute changes: no noise dead zone, only the identity one (AU45 reads a ratio of eyeOpen) */
const NO_DEAD_ZONE = new Set<number>([M.lipGap, M.jaw]);
const SPEECH_DAMPED: AuName[] = ['AU12', 'AU15', 'AU17', 'AU20', 'AU23'];

/** The landmark indices the measures read (also used for the cheap motion estimate). */
export const AU_LANDMARKS = [
  107, 55, 336, 285, 70, 46, 300, 276, 159, 145, 158, 153, 160, 144, 386, 374, 385, 380, 387, 373, 50, 280, 98, 327, 61,
  291, 13, 14, 0, 17, 152,
] as const;

/**
 * Coordinates the One-Euro filter smooths: x and y of the points the measures and regionMotion read (z is read by
 * neither); filtering all 1,404 cost ~6× more for nothing.
 */
const SMOOTHED = Int32Array.from(
  [...new Set<number>([...AU_LANDMARKS, ...Object.values(REGION_LANDMARKS).flat()])].flatMap((i) => [3 * i, 3 * i + 1]),
);

export const actionUnitOptionsSchema = z.object({
  baseline: neutralBaselineOptionsSchema.prefault({}),
  /** start each track's baseline from the population's neutral face (neutralPrior.ts) */
  prior: z.boolean().default(true),
  /** identity dead zone while the baseline is still the prior, in between-person σ (see the top comment) */
  identityK: z.number().min(0).default(1),
  /** how much full speech damps the speech-driven mouth AUs */
  speechDamp: z.number().min(0).max(1).default(0.7),
  /** dead zone per measure in units of its neutral spread σ (0 = none) */
  noiseK: z.number().min(0).default(2),
  /** largest dead zone, IOD (a very expressive "neutral" window must not blind the AUs) */
  maxDeadZone: z.number().min(0).default(0.04),
  /**
   * One-Euro smoothing of the normalised mesh (IOD units). Off by default (minCutoff 0): geometry in, AUs out, frame
   * by frame; FrameAnalyzer turns it on for decoded video (frameAnalyzer.VIDEO_SMOOTHING).
   */
  smoothing: z
    .object({
      minCutoff: z.number().min(0).default(0),
      beta: z.number().min(0).default(0),
      dCutoff: z.number().positive().default(1),
    })
    .prefault({}),
});
export type ActionUnitOptions = z.infer<typeof actionUnitOptionsSchema>;

/** NEUTRAL_PRIOR in MEASURES order. */
export const MEASURE_PRIOR: NeutralPrior = (() => {
  const row = (n: string) => {
    const v = NEUTRAL_PRIOR[n];
    if (!v) throw new Error(`neutralPrior.ts has no ${n}`);
    return v;
  };
  return {
    mean: Float32Array.from(MEASURES.map((n) => row(n)[0])),
    spread: Float32Array.from(MEASURES.map((n) => row(n)[1])),
  };
})();

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
  out[M.chinLip] = y(n, 152) - y(n, 17) + 0.4 * out[M.lipGap];
  out[M.cornerR] = -y(n, 61);
  out[M.cornerL] = -y(n, 291);
  const midline = (y(n, 13) + y(n, 14)) / 2;
  out[M.liftR] = midline - y(n, 61) - 0.4 * out[M.lipGap];
  out[M.liftL] = midline - y(n, 291) - 0.4 * out[M.lipGap];
  out[M.liftAsym] = y(n, 61) - y(n, 291);
  return out;
}

const clamp01 = (v: number) => Math.max(0, Math.min(1, v));
const ZERO_DEAD_ZONE = new Float32Array(MEASURES.length);

/**
 * AU intensities (AU_NAMES order) from measures, their neutral baseline `b` and the per-measure dead zone `z`
 * (zeros for none).
 */
export function auFromMeasures(
  m: Float32Array,
  b: Float32Array,
  speaking: number,
  speechDamp: number,
  out = new Float32Array(AU_COUNT),
  z: ArrayLike<number> = ZERO_DEAD_ZONE,
) {
  const d = (k: number) => m[k] - b[k];
  const up = (k: number) => Math.max(0, d(k) - z[k]);
  const down = (k: number) => Math.max(0, -d(k) - z[k]);
  const set = (n: AuName, v: number) => {
    out[AU_INDEX[n]] = clamp01(v);
  };
  set('AU1', up(M.innerBrow) / 0.06);
  set('AU2', up(M.outerBrow) / 0.06);
  set('AU4', 0.5 * (down(M.innerBrow) / 0.05) + 0.5 * (down(M.browGap) / 0.05));
  set('AU5', up(M.eyeOpen) / 0.04);
  set('AU6', 0.5 * (up(M.cheek) / 0.04) + 0.5 * (up(M.lowerLid) / 0.03));
  set('AU7', up(M.lowerLid) / 0.03 - (0.5 * up(M.cheek)) / 0.04);
  set('AU9', (up(M.noseWing) - 0.3 * up(M.corner)) / 0.04);
  const lift = Math.max(up(M.liftR), up(M.liftL));
  set('AU12', lift > 0 ? 0.6 * (lift / 0.05) + 0.4 * (up(M.mouthW) / 0.12) : 0);
  set('AU15', (0.5 * (down(M.liftR) + down(M.liftL))) / 0.04);
  set('AU17', down(M.chinLip) / 0.04);
  set('AU20', up(M.mouthW) / 0.15 - (0.5 * (up(M.liftR) + up(M.liftL))) / 0.05);
  set('AU23', down(M.lipThick) / 0.06);
  // z holds only the identity share for these (NO_DEAD_ZONE)
  set('AU25', (d(M.lipGap) - 0.02 - z[M.lipGap]) / 0.1);
  set('AU26', (d(M.jaw) - 0.02 - z[M.jaw]) / 0.15);
  set('AU45', b[M.eyeOpen] > 0 ? (0.7 - m[M.eyeOpen] / b[M.eyeOpen]) / 0.5 : 0);
  const damp = 1 - speechDamp * clamp01(speaking);
  for (const n of SPEECH_DAMPED) out[AU_INDEX[n]] *= damp;
  return out;
}

/** Full-scale change of liftAsym: AU12's full-scale corner lift on one side only (see the top comment). */
export const ASYMMETRY_FULL_SCALE = 0.05;

/**
 * The one-sided lip-corner pull 0..1 (unilateral AU12/AU14, contempt's action; see the top comment) from measures,
 * their baseline `b` and dead zone `z`, damped in speech like AU12.
 */
export function lipCornerAsymmetry(
  m: ArrayLike<number>,
  b: ArrayLike<number>,
  speaking: number,
  speechDamp: number,
  z: ArrayLike<number> = ZERO_DEAD_ZONE,
): number {
  const k = M.liftAsym;
  const v = Math.max(0, Math.abs(m[k] - b[k]) - z[k]) / ASYMMETRY_FULL_SCALE;
  return clamp01(v) * (1 - speechDamp * clamp01(speaking));
}

export function auRecord(v: ArrayLike<number>): AuIntensities {
  return Object.fromEntries(AU_NAMES.map((n, i) => [n, Math.round(clamp01(v[i]) * 1000) / 1000])) as AuIntensities;
}

/** Everything one frame of one track yields. */
export interface AuFrame {
  t: number;
  /** the face's own frame (rotation from rigid points; headPose.headPoseFromFrame reads the pose off it) */
  faceFrame: FaceFrame;
  /** pose-normalised mesh (inter-ocular units); with smoothing on, the x, y the measures and region motion read are smoothed */
  normMesh: Float32Array;
  measures: Float32Array;
  /** AU intensities, AU_NAMES order, 0..1 */
  au: Float32Array;
  /** d(AU)/dt per second, 0 on a track's first frame */
  auVelocity: Float32Array;
  /** one-sided lip-corner pull 0..1 (lipCornerAsymmetry: unilateral AU12/AU14) */
  asymmetry: number;
  /** mean speed of the AU landmarks, IOD per second (pose removed) */
  motion: number;
}

interface TrackState {
  baseline: NeutralBaseline;
  prev: AuFrame | null;
  smooth: OneEuroVector | null;
  deadZone: Float32Array;
  /** baseline samples that took liftAsym as measured (not frozen), for its own share of the prior */
  asymOwn: number;
  /** per-measure freeze flags of this frame's baseline sample */
  freeze: boolean[];
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

  /**
   * `landmarks`: 468×3 mesh in frame coordinates; `speaking`: 0..1 (probability or flag); `neutralProb`: the
   * expression nets' neutral probability for this face, when known (gates the baseline's samples).
   */
  analyse(trackId: number, t: number, landmarks: Float32Array, speaking = 0, neutralProb?: number): AuFrame {
    let st = this.tracks.get(trackId);
    if (!st) {
      const sm = this.opts.smoothing;
      st = {
        baseline: new NeutralBaseline(MEASURES.length, this.opts.baseline, this.opts.prior ? MEASURE_PRIOR : null),
        prev: null,
        smooth: sm.minCutoff > 0 ? new OneEuroVector(sm) : null,
        deadZone: new Float32Array(MEASURES.length),
        asymOwn: 0,
        freeze: MEASURES.map(() => false),
      };
      this.tracks.set(trackId, st);
    }
    const frame = faceFrame(landmarks);
    const normMesh = normaliseMesh(landmarks, new Float32Array(MESH_POINTS * 3), frame);
    st.smooth?.filter(t, normMesh, SMOOTHED);
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
    const freeze = st.freeze;
    const base = speaking >= 0.5 ? this.frozen : this.open;
    for (let i = 0; i < MEASURES.length; i++) freeze[i] = base[i];
    // the nets have no contempt class and call contempt neutral (DESIGN.md), so their neutral gate does not make a
    // frame a neutral sample of the one-sided pull: liftAsym is sampled only while it reads no asymmetry against the
    // reference (last frame's dead zone), else frozen like a speaking mouth
    const k = M.liftAsym;
    if (Math.abs(measures[k] - st.baseline.values[k]) > st.deadZone[k]) freeze[k] = true;
    if (st.baseline.offer(t, measures, motion, freeze, neutralProb) && !freeze[k]) st.asymOwn++;
    const spread = st.baseline.spread;
    const idK = this.opts.identityK * st.baseline.priorShare;
    for (let i = 0; i < MEASURES.length; i++)
      st.deadZone[i] =
        (NO_DEAD_ZONE.has(i) ? 0 : Math.min(this.opts.maxDeadZone, this.opts.noiseK * spread[i])) +
        idK * MEASURE_PRIOR.spread[i];
    // liftAsym's reference is the prior's until its own samples come: its identity share counts only those
    if (this.opts.prior) {
      const w = this.opts.baseline.priorWeight;
      const own = Math.min(st.asymOwn, st.baseline.samples);
      const share = w + own > 0 ? w / (w + own) : 0;
      st.deadZone[k] =
        Math.min(this.opts.maxDeadZone, this.opts.noiseK * spread[k]) +
        this.opts.identityK * share * MEASURE_PRIOR.spread[k];
    }
    const au = auFromMeasures(
      measures,
      st.baseline.values,
      speaking,
      this.opts.speechDamp,
      new Float32Array(AU_COUNT),
      st.deadZone,
    );
    const asymmetry = lipCornerAsymmetry(measures, st.baseline.values, speaking, this.opts.speechDamp, st.deadZone);
    const auVelocity = new Float32Array(AU_COUNT);
    if (prev && dt > 0) for (let i = 0; i < AU_COUNT; i++) auVelocity[i] = (au[i] - prev.au[i]) / dt;
    const res: AuFrame = { t, faceFrame: frame, normMesh, measures, au, auVelocity, asymmetry, motion };
    st.prev = res;
    return res;
  }

  estimate(trackId: number, t: number, landmarks: Float32Array, speaking: number, neutralProb?: number): AuIntensities {
    return auRecord(this.analyse(trackId, t, landmarks, speaking, neutralProb).au);
  }

  baselineOf(trackId: number): NeutralBaseline | undefined {
    return this.tracks.get(trackId)?.baseline;
  }

  drop(trackId: number): void {
    this.tracks.delete(trackId);
  }
}
