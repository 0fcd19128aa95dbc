/**
 * Micro-expression spotting per track at the source frame rate. Signal: per region, the strongest baseline-relative
 * AU intensity of that region (actionUnits.ts; already pose-normalised), or the region's appearance change on the
 * aligned crop (regionMotion.ts appearanceLevel) when the caller gives it and it is stronger: the crop shows what the
 * mesh smooths over (furrows, folds, lid texture), so a change seen only in appearance is spotted too. Threshold per region adapts: running median
 * + k·MAD (scaled to σ) of the region's recent signal outside events, never below `minThreshold`. An event opens when
 * a region crosses its threshold and closes when every region is back under `release`·threshold; onset is the last
 * frame under the release level before the rise, offset the first one after, apex the frame of peak excess.
 * Rejected: blinks (eyes-only events with AU45 closure), rigid head motion (rotation speed over `maxHeadSpeed` during
 * the event, or every region's landmark motion high at once), global motion (the face moving or scaling in the image
 * faster than `maxFaceSpeed`: camera pans and zooms, fast head moves, where the mesh deforms without the face doing
 * so), talking (mouth/jaw-only events while speaking or within `speechHangS` after), single-frame spikes (fewer than `minFramesAbove` frames over
 * the threshold: decoded video makes one-frame mesh jumps at keyframes), weak events (apex under `minIntensity`: the
 * adaptive threshold of a very still face can sit near the floor, where mesh noise crosses it; and an apex that rises
 * less than `minIntensity` above the level at the onset: an expression the face held from the track's first frame —
 * a posed clip, someone joining with a smile, read against the population prior — has no onset, only jitter on a
 * plateau), and anything in a
 * track's first `warmupS` (the threshold and the AU baseline have no history yet; a new track's mesh also settles
 * over its first frames).
 * Micro: 40–500 ms; macro: ≥ 500 ms (up to `maxEventS`, then closed there).
 */
import { z } from 'zod';
import {
  AU_NAMES,
  type AuName,
  EXPRESSION_CLASSES,
  type ExpressionClass,
  FACE_REGIONS,
  type FaceRegion,
} from '../events/schema.ts';
import type { Emit, Stage } from '../pipeline/stage.ts';
import { AU_INDEX } from './actionUnits.ts';
import type { HeadPose } from './headPose.ts';
import type { RegionValues } from './regionMotion.ts';

export const spotterOptionsSchema = z.object({
  /** k of median + k·MAD */
  k: z.number().positive().default(4),
  /** floor of the threshold (AU intensity units) */
  minThreshold: z.number().min(0).max(1).default(0.2),
  /** fraction of the threshold under which a region counts as back to rest (hysteresis) */
  release: z.number().min(0).max(1).default(0.5),
  /** seconds of past signal for the adaptive threshold */
  windowS: z.number().positive().default(3),
  minDurationMs: z.number().min(0).default(40),
  /** micro below, macro at or above */
  microMaxMs: z.number().positive().default(500),
  /** an event still open after this long is closed */
  maxEventS: z.number().positive().default(4),
  /**
   * rigid head rotation speed (deg/s; rigidMotion.ts, or the max of yaw/pitch/roll change without it) that marks head
   * motion. On bench/spotting (MEAD expressions spliced into a talking face): 60 rejected 7 of 12 inserted
   * expressions (the rigid fit still moves ~2°/frame at 25 fps while a face talks or changes expression); 90 keeps
   * 10 of 12 and the real talking heads of test/vision/frameAnalyzer.test.ts at 0 events; 120 keeps 11 but lets a
   * 3.5 s talking event through on talking/1.mp4.
   */
  maxHeadSpeed: z.number().positive().default(90),
  /** landmark speed (IOD/s) over which a region counts as moving, for the all-regions-together test */
  rigidRegionSpeed: z.number().positive().default(1.5),
  /** AU45 intensity that marks an eyes-only event as a blink */
  blinkAu45: z.number().min(0).max(1).default(0.5),
  /** mean speaking probability over an event that marks mouth/jaw-only motion as speech */
  speakingMin: z.number().min(0).max(1).default(0.5),
  /** AUs at least this strong at the apex are reported */
  auMin: z.number().min(0).max(1).default(0.2),
  /** an event's strongest region must reach this AU intensity at the apex */
  minIntensity: z.number().min(0).max(1).default(0.3),
  /** frames a region must stay over its threshold (1 = single-frame spikes count) */
  minFramesAbove: z.number().int().positive().default(2),
  /** face speed in the image (inter-ocular distances per second, translation + scale change) that marks global motion */
  maxFaceSpeed: z.number().positive().default(4),
  /**
   * speech counts this long after it stops (lips close and articulation ends after the sound: on a real talking clip
   * the mouth closing at a speech end read as a micro-expression)
   */
  speechHangS: z.number().min(0).default(0.3),
  /** seconds after a track's first frame during which nothing is spotted */
  warmupS: z.number().min(0).default(0.5),
});
export type SpotterOptions = z.infer<typeof spotterOptionsSchema>;

/** AUs whose intensity forms each region's signal (AU45 left out: blinks must not open events on their own). */
export const REGION_AUS: Record<FaceRegion, readonly AuName[]> = {
  brows: ['AU1', 'AU2', 'AU4'],
  eyes: ['AU5', 'AU6', 'AU7'],
  nose: ['AU9'],
  mouth: ['AU12', 'AU15', 'AU20', 'AU23', 'AU25'],
  jaw: ['AU17', 'AU26'],
};

export interface SpotterFrame {
  trackId: number;
  /** media time, seconds */
  t: number;
  /** AU intensities, AU_NAMES order */
  au: ArrayLike<number>;
  headPose?: HeadPose;
  /** 0..1 */
  speaking?: number;
  /** landmark motion per region (regionMotion.ts) */
  regionMotion?: RegionValues;
  /** appearance change per region against its slow reference, 0..1 (regionMotion.ts appearanceLevel) */
  appearance?: RegionValues;
  /** expression probabilities, EXPRESSION_CLASSES order */
  expression?: ArrayLike<number>;
  /** face speed in the image: eye-midpoint speed + |d ln(IOD)/dt|, inter-ocular distances per second */
  faceSpeed?: number;
  /** rigid head rotation speed, deg/s (rigidMotion.ts); without it, the change of `headPose` is used */
  headSpeed?: number;
}

/** Payload of the `microexpression` event (schema.ts) minus the envelope; `t` = offset. */
export interface MicroExpressionRecord {
  trackId: number;
  onset: number;
  apex: number;
  offset: number;
  durationMs: number;
  kind: 'micro' | 'macro';
  regions: FaceRegion[];
  aus: AuName[];
  intensity: number;
  expressionAtApex: ExpressionClass;
}

interface Sample {
  t: number;
  sig: Float32Array; // per region
  au: Float32Array;
  expr: ExpressionClass;
}

interface OpenEvent {
  onset: number;
  /** each region's signal at the onset frame (the level the rise starts from) */
  onsetSig: Float32Array;
  apex: Sample;
  apexScore: number;
  regions: Set<FaceRegion>;
  maxHeadSpeed: number;
  rigid: boolean;
  speakSum: number;
  frames: number;
  maxAu45: number;
  maxFaceSpeed: number;
  /** longest run of consecutive frames with some region over its threshold */
  aboveRun: number;
  run: number;
}

const NR = FACE_REGIONS.length;

class TrackSpotter {
  private readonly hist: Float32Array[];
  private histN = 0;
  private histHead = 0;
  private readonly cap: number;
  private readonly thr = new Float32Array(NR).fill(0);
  private last: Sample | null = null;
  private lastPose: { t: number; p: HeadPose } | null = null;
  private ev: OpenEvent | null = null;
  private firstT: number | null = null;
  private lastSpeechT = Number.NEGATIVE_INFINITY;
  private readonly scratch: Float32Array;

  constructor(
    readonly trackId: number,
    private readonly o: SpotterOptions,
  ) {
    this.cap = Math.max(8, Math.round(o.windowS * 30));
    this.hist = FACE_REGIONS.map(() => new Float32Array(this.cap));
    this.scratch = new Float32Array(this.cap);
    this.updateThresholds();
  }

  private updateThresholds(): void {
    const n = this.histN;
    for (let r = 0; r < NR; r++) {
      if (n < 5) {
        this.thr[r] = this.o.minThreshold;
        continue;
      }
      const s = this.scratch.subarray(0, n);
      s.set(this.hist[r].subarray(0, n));
      s.sort();
      const med = s[n >> 1];
      for (let i = 0; i < n; i++) s[i] = Math.abs(s[i] - med);
      s.sort();
      const mad = 1.4826 * s[n >> 1];
      this.thr[r] = Math.max(this.o.minThreshold, med + this.o.k * mad);
    }
  }

  push(f: SpotterFrame, emit: Emit<MicroExpressionRecord>): void {
    const o = this.o;
    const sig = new Float32Array(NR);
    FACE_REGIONS.forEach((r, i) => {
      let m = 0;
      for (const a of REGION_AUS[r]) m = Math.max(m, f.au[AU_INDEX[a]] ?? 0);
      sig[i] = Math.max(m, f.appearance?.[r] ?? 0);
    });
    const s: Sample = { t: f.t, sig, au: Float32Array.from(f.au), expr: topClass(f.expression) };
    let headSpeed = f.headSpeed ?? 0;
    if (f.headPose && f.headSpeed === undefined) {
      if (this.lastPose && f.t > this.lastPose.t) {
        const p = this.lastPose.p;
        const dt = f.t - this.lastPose.t;
        headSpeed =
          Math.max(
            Math.abs(f.headPose.yaw - p.yaw),
            Math.abs(f.headPose.pitch - p.pitch),
            Math.abs(f.headPose.roll - p.roll),
          ) / dt;
      }
      this.lastPose = { t: f.t, p: f.headPose };
    }
    const rigid = f.regionMotion ? FACE_REGIONS.every((r) => (f.regionMotion?.[r] ?? 0) > o.rigidRegionSpeed) : false;

    let above = false;
    let active = false;
    let score = 0;
    for (let r = 0; r < NR; r++) {
      if (sig[r] > this.thr[r]) above = true;
      if (sig[r] > this.thr[r] * o.release) active = true;
      score = Math.max(score, sig[r] - this.thr[r] * o.release);
    }

    this.firstT ??= f.t;
    let speaking = f.speaking ?? 0;
    if (speaking >= o.speakingMin) this.lastSpeechT = f.t;
    else if (f.t - this.lastSpeechT <= o.speechHangS) speaking = 1;
    if (!this.ev && above && f.t - this.firstT >= o.warmupS) {
      this.ev = {
        onset: this.last ? this.last.t : f.t,
        onsetSig: this.last ? this.last.sig : new Float32Array(NR),
        apex: s,
        apexScore: score,
        regions: new Set(),
        maxHeadSpeed: 0,
        rigid: false,
        speakSum: 0,
        frames: 0,
        maxAu45: 0,
        maxFaceSpeed: 0,
        aboveRun: 0,
        run: 0,
      };
    }
    const ev = this.ev;
    if (ev) {
      ev.frames++;
      ev.speakSum += speaking;
      ev.maxHeadSpeed = Math.max(ev.maxHeadSpeed, headSpeed);
      ev.rigid ||= rigid;
      ev.maxAu45 = Math.max(ev.maxAu45, f.au[AU_INDEX.AU45] ?? 0);
      ev.maxFaceSpeed = Math.max(ev.maxFaceSpeed, f.faceSpeed ?? 0);
      ev.run = above ? ev.run + 1 : 0;
      ev.aboveRun = Math.max(ev.aboveRun, ev.run);
      for (let r = 0; r < NR; r++) if (sig[r] > this.thr[r]) ev.regions.add(FACE_REGIONS[r]);
      if (score > ev.apexScore) {
        ev.apex = s;
        ev.apexScore = score;
      }
      if (!active) {
        this.close(ev, f.t, emit);
      } else if (f.t - ev.onset >= o.maxEventS) {
        this.close(ev, f.t, emit);
      }
    } else {
      // the threshold learns only from rest frames, so an expression does not raise its own bar
      for (let r = 0; r < NR; r++) this.hist[r][this.histHead] = sig[r];
      this.histHead = (this.histHead + 1) % this.cap;
      this.histN = Math.min(this.histN + 1, this.cap);
      this.updateThresholds();
    }
    this.last = s;
  }

  close(ev: OpenEvent, offset: number, emit: Emit<MicroExpressionRecord>): void {
    this.ev = null;
    const o = this.o;
    const durationMs = Math.round((offset - ev.onset) * 1000);
    if (durationMs < o.minDurationMs) return;
    const regions = FACE_REGIONS.filter((r) => ev.regions.has(r));
    if (regions.length === 0) return;
    if (ev.maxHeadSpeed > o.maxHeadSpeed || ev.rigid || ev.maxFaceSpeed > o.maxFaceSpeed) return;
    if (ev.aboveRun < o.minFramesAbove) return;
    if (regions.every((r) => r === 'eyes') && ev.maxAu45 >= o.blinkAu45) return;
    if (regions.every((r) => r === 'mouth' || r === 'jaw') && ev.speakSum / ev.frames >= o.speakingMin) return;
    const aus = AU_NAMES.filter((n, i) => n !== 'AU45' && ev.apex.au[i] >= o.auMin);
    let intensity = 0;
    let rise = 0;
    for (let r = 0; r < NR; r++) {
      intensity = Math.max(intensity, ev.apex.sig[r]);
      rise = Math.max(rise, ev.apex.sig[r] - ev.onsetSig[r]);
    }
    if (intensity < o.minIntensity || rise < o.minIntensity) return;
    emit({
      trackId: this.trackId,
      onset: ev.onset,
      apex: ev.apex.t,
      offset,
      durationMs,
      kind: durationMs < o.microMaxMs ? 'micro' : 'macro',
      regions,
      aus,
      intensity: Math.min(1, Math.round(intensity * 1000) / 1000),
      expressionAtApex: ev.apex.expr,
    });
  }

  flush(emit: Emit<MicroExpressionRecord>): void {
    if (this.ev && this.last) this.close(this.ev, this.last.t, emit);
  }
}

function topClass(p: ArrayLike<number> | undefined): ExpressionClass {
  if (!p || p.length < EXPRESSION_CLASSES.length) return 'neutral';
  let best = 0;
  for (let i = 1; i < EXPRESSION_CLASSES.length; i++) if (p[i] > p[best]) best = i;
  return EXPRESSION_CLASSES[best];
}

/** The spotter as a pipeline Stage: frames of any number of tracks in, `microexpression` records out. */
export class MicroExpressionSpotter implements Stage<SpotterFrame, MicroExpressionRecord> {
  readonly name = 'microExpressionSpotter';
  readonly opts: SpotterOptions;
  private readonly tracks = new Map<number, TrackSpotter>();

  constructor(opts: z.input<typeof spotterOptionsSchema> = {}) {
    this.opts = spotterOptionsSchema.parse(opts);
  }

  push(f: SpotterFrame, emit: Emit<MicroExpressionRecord>): void {
    let t = this.tracks.get(f.trackId);
    if (!t) {
      t = new TrackSpotter(f.trackId, this.opts);
      this.tracks.set(f.trackId, t);
    }
    t.push(f, emit);
  }

  /** A track ended: emit what it still holds and forget it. */
  endTrack(trackId: number, emit: Emit<MicroExpressionRecord>): void {
    this.tracks.get(trackId)?.flush(emit);
    this.tracks.delete(trackId);
  }

  flush(emit: Emit<MicroExpressionRecord>): void {
    for (const t of this.tracks.values()) t.flush(emit);
  }

  close(): void {
    this.tracks.clear();
  }
}
