/**
 * Micro-expression spotting per track at the source frame rate. Two channels per region: the strongest
 * baseline-relative AU intensity of the region (actionUnits.ts; already pose-normalised), and, when the caller gives
 * it, the region's appearance change on the aligned crop (regionMotion.ts appearanceLevel): the crop shows what the
 * mesh smooths over (furrows, folds, lid texture) and has no smoothing lag. Each channel has its own adaptive threshold
 * per region — running median + k·MAD (scaled to σ) of its recent signal outside events, never below its floor — and
 * the two meet in threshold units (`level`): one max() under one threshold let the noisier appearance signal (never at
 * rest at 0) raise the bar over the AU events and keep events open long after them (turned on that way, the MEAD
 * splices of test/vision/splicedSpotting.test.ts were lost and a talking head gave a 1 s brow event).
 * An event opens when a channel crosses its threshold in some region and lasts while one of the channel-regions that
 * crossed stays over `release`; onset is the frame before the crossing (the smoothed mesh lags by about a frame), or
 * the crossing frame itself when appearance crossed there straight from rest; offset the first frame after; apex the
 * frame of peak level.
 * Rejected: blinks (eyes-only events with AU45 closure), rigid head motion (rotation speed over `maxHeadSpeed` during
 * the event, or every region's landmark motion high at once), global motion (the face moving or scaling in the image
 * faster than `maxFaceSpeed`: camera pans and zooms, fast head moves, where the mesh deforms without the face doing
 * so), talking (while the face speaks or within `speechHangS` after, what speech moves — SPEECH_MOVED — neither
 * opens nor holds an event; an event whose AUs are mouth/jaw-only is dropped when the face spoke through most of it
 * or when speech ended it), single-frame spikes (fewer than `minFramesAbove` frames over the threshold: decoded video
 * makes one-frame mesh jumps at keyframes), weak events (apex under `minIntensity`: the
 * adaptive threshold of a very still face can sit near the floor, where mesh noise crosses it; and an apex that rises
 * less than `minIntensity` above the level at the onset: an expression the face held from the track's first frame —
 * a posed clip, someone joining with a smile, read against the population prior — has no onset, only jitter on a
 * plateau; an event no AU carries needs `appearanceMinRise` instead), and anything in a
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
import { APPEARANCE_FULL_SCALE, type RegionValues } from './regionMotion.ts';

export const spotterOptionsSchema = z.object({
  /** k of median + k·MAD (both channels) */
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
   * 3.5 s talking event through on talking/1.mp4. 100 since appearance spotting: an appearance-led event starts on
   * the splice's first frame, where the fearful apex face's 7° pose difference moves the mesh at 96°/s (that micro was
   * lost at 90); 100 also finds the disgusted macro (11 of 12 found) and keeps the talking heads at 0; 110 let a 2.4 s
   * event through on talking/1.mp4.
   */
  maxHeadSpeed: z.number().positive().default(100),
  /** landmark speed (IOD/s) over which a region counts as moving, for the all-regions-together test */
  rigidRegionSpeed: z.number().positive().default(1.5),
  /** AU45 intensity that marks an eyes-only event as a blink */
  blinkAu45: z.number().min(0).max(1).default(0.5),
  /** mean speaking probability over an event that marks mouth/jaw-only motion as speech */
  speakingMin: z.number().min(0).max(1).default(0.5),
  /** AUs at least this strong at the apex are reported */
  auMin: z.number().min(0).max(1).default(0.2),
  /**
   * an event carried by AUs: its strongest region must reach this AU intensity at the apex, and rise this much from
   * the onset (AU intensity units; appearance-only events have `appearanceMinRise` instead)
   */
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
  /**
   * floor of the appearance channel's threshold (appearance level: mean |cell − reference| per region, fraction of the
   * grey range, regionMotion.ts). 0.012 ≈ 3 grey levels: a still face's compression noise peaked at 2.6 levels in any
   * region (the panned photo and the generated face clip of test/vision/frameAnalyzer.test.ts, medians 0.4–0.7), so a
   * very still face's MAD cannot pull the threshold into its noise; the spliced expressions peak at 4–22 levels.
   */
  appearanceMinThreshold: z.number().min(0).max(1).default(0.012),
  /**
   * an event no AU carries (appearance alone) must rise this much in appearance from its onset to its apex, fraction of
   * the grey range — the appearance counterpart of `minIntensity`, which such an event cannot meet. 0.015 ≈ 4 grey
   * levels over a region: over the threshold floor's 3 (still-face noise), under the ~7 levels of furrows darkening a
   * third of the brow box by 20–40 levels (the synthetic test; 0.02 rejected it, its onset frame already 1/4 in)
   */
  appearanceMinRise: z.number().min(0).max(1).default(0.015),
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
  /** per region: strongest AU of the region, appearance level (NaN without crops) */
  sig: Float32Array;
  app: Float32Array;
  au: Float32Array;
  expr: ExpressionClass;
}

interface OpenEvent {
  onset: number;
  /** the onset frame (the levels the rise starts from) */
  onsetS: Sample | null;
  apex: Sample;
  apexScore: number;
  regions: Set<FaceRegion>;
  /** channel-regions (c·NR + r) that crossed their threshold in this event: it lasts while one is over release */
  carriers: Set<number>;
  maxHeadSpeed: number;
  rigid: boolean;
  speakSum: number;
  frames: number;
  maxAu45: number;
  maxFaceSpeed: number;
  /** speech probability on the event's last frame */
  lastSpeaking: number;
  /** regions whose AU signal crossed its own threshold */
  auRegions: Set<FaceRegion>;
  /** longest run of consecutive frames with some region over its threshold */
  aboveRun: number;
  run: number;
}

const NR = FACE_REGIONS.length;
/**
 * Channel-regions (index c·NR + r; c 0 AU, 1 appearance) that speech moves, so that while the face speaks they neither
 * open nor hold an event: the mouth and jaw in both channels, and the nose's AU (AU9 reads the alae, which the upper
 * lip lifts in articulation: a 130 ms "AU9" micro at a speech onset of talking/1.mp4). The nose's appearance (wrinkles
 * over the bridge) still counts. Holding was the harm: on the MEAD splices with speech known only from the lips, an
 * event opened by articulation took in the spliced expression and outlasted it (1.32–3.12 s for 1.60–2.36 s); silent
 * F1 0.609 → 0.957 on bench/spotting, speech-known F1 unchanged (0.957).
 */
const SPEECH_MOVED = [0, 1].flatMap((c) =>
  FACE_REGIONS.map((r) => r === 'mouth' || r === 'jaw' || (c === 0 && r === 'nose')),
);

/** Rest history of one channel (per region) and its adaptive threshold: median + k·MAD (σ-scaled), never below a floor. */
class Channel {
  private readonly hist: Float32Array[];
  private readonly n = new Int32Array(NR);
  private readonly head = new Int32Array(NR);
  readonly thr = new Float32Array(NR);
  /** rest median per region */
  readonly med = new Float32Array(NR);

  constructor(
    private readonly cap: number,
    private readonly k: number,
    private readonly floor: number,
    private readonly scratch: Float32Array,
  ) {
    this.hist = FACE_REGIONS.map(() => new Float32Array(cap));
    this.thr.fill(floor);
  }

  /** one rest frame; NaN = no value for that region on this frame */
  learn(sig: Float32Array): void {
    for (let r = 0; r < NR; r++) {
      if (Number.isNaN(sig[r])) continue;
      this.hist[r][this.head[r]] = sig[r];
      this.head[r] = (this.head[r] + 1) % this.cap;
      this.n[r] = Math.min(this.n[r] + 1, this.cap);
      const n = this.n[r];
      if (n < 5) continue;
      const s = this.scratch.subarray(0, n);
      s.set(this.hist[r].subarray(0, n));
      s.sort();
      const med = s[n >> 1];
      for (let i = 0; i < n; i++) s[i] = Math.abs(s[i] - med);
      s.sort();
      const mad = 1.4826 * s[n >> 1];
      this.med[r] = med;
      this.thr[r] = Math.max(this.floor, med + this.k * mad);
    }
  }

  reset(): void {
    this.n.fill(0);
    this.head.fill(0);
    this.thr.fill(this.floor);
    this.med.fill(0);
  }
}

class TrackSpotter {
  private readonly auCh: Channel;
  private readonly appCh: Channel;
  private last: Sample | null = null;
  private lastPose: { t: number; p: HeadPose } | null = null;
  private ev: OpenEvent | null = null;
  private firstT: number | null = null;
  private lastSpeechT = Number.NEGATIVE_INFINITY;

  constructor(
    readonly trackId: number,
    private readonly o: SpotterOptions,
  ) {
    const cap = Math.max(8, Math.round(o.windowS * 30));
    const scratch = new Float32Array(cap);
    this.auCh = new Channel(cap, o.k, o.minThreshold, scratch);
    this.appCh = new Channel(cap, o.k, o.appearanceMinThreshold, scratch);
  }

  /**
   * Level of channel `c` (0 AU, 1 appearance) in region r, in units of that channel's own threshold: 1 at the
   * threshold. AU intensities are baseline-relative (rest ≈ 0), so the AU level is intensity / threshold. The
   * appearance level never rests at 0 (alignment jitter, compression, speech), so its level is the excess over its
   * rest median: (x − median) / (threshold − median), and `release` means halfway from rest to the threshold rather
   * than a fraction of a value that sits mostly at rest. NaN without crops.
   */
  private level(s: Sample, c: number, r: number): number {
    if (c === 0) return s.sig[r] / this.auCh.thr[r];
    const m = this.appCh.med[r];
    return (s.app[r] - m) / (this.appCh.thr[r] - m);
  }

  push(f: SpotterFrame, emit: Emit<MicroExpressionRecord>): void {
    const o = this.o;
    let speaking = f.speaking ?? 0;
    if (speaking >= o.speakingMin) this.lastSpeechT = f.t;
    else if (f.t - this.lastSpeechT <= o.speechHangS) speaking = 1;
    const sig = new Float32Array(NR);
    const app = new Float32Array(NR).fill(Number.NaN);
    FACE_REGIONS.forEach((r, i) => {
      let m = 0;
      for (const a of REGION_AUS[r]) m = Math.max(m, f.au[AU_INDEX[a]] ?? 0);
      sig[i] = m;
      if (f.appearance) app[i] = f.appearance[r];
    });
    const s: Sample = { t: f.t, sig, app, au: Float32Array.from(f.au), expr: topClass(f.expression) };
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

    // channel-region levels (index c·NR + r); NaN (no crops) compares false everywhere
    const u = new Float32Array(2 * NR);
    let above = false;
    let score = 0;
    const talking = speaking >= o.speakingMin;
    for (let c = 0; c < 2; c++)
      for (let r = 0; r < NR; r++) {
        // while the face speaks, what the words move neither opens nor holds an event (SPEECH_MOVED)
        const v = talking && SPEECH_MOVED[c * NR + r] ? 0 : this.level(s, c, r);
        u[c * NR + r] = v;
        if (v > 1) above = true;
        if (v - o.release > score) score = v - o.release;
      }

    this.firstT ??= f.t;
    const prev = this.last;
    let ev = this.ev;
    // an event lasts while a channel-region that crossed its threshold in it stays over release: another region or
    // channel rising as it fades starts the next event (on the MEAD splices with no speech known, a mouth movement
    // ending on the frame before a spliced expression and appearance rising on it were one 0.5–1.8 s event)
    if (ev && ![...ev.carriers].some((k) => u[k] > o.release)) {
      this.account(ev, f, speaking, headSpeed, rigid);
      this.close(ev, f.t, emit);
      ev = null;
    }
    if (!ev && above && f.t - this.firstT >= o.warmupS) {
      // onset: the frame before the crossing, which the smoothed mesh's AUs reach a frame late; but a crop difference
      // has no lag, so appearance crossing straight from rest marks its first changed frame itself (on the splices
      // the onset came one frame early on every appearance-led event: 36 ms mean error against 4)
      let fresh = false;
      for (let r = 0; r < NR; r++) if (u[NR + r] > 1 && prev && this.level(prev, 1, r) <= o.release) fresh = true;
      this.ev = {
        onset: prev && !fresh ? prev.t : f.t,
        onsetS: prev,
        apex: s,
        apexScore: score,
        regions: new Set(),
        carriers: new Set(),
        auRegions: new Set(),
        maxHeadSpeed: 0,
        rigid: false,
        speakSum: 0,
        frames: 0,
        maxAu45: 0,
        maxFaceSpeed: 0,
        lastSpeaking: 0,
        aboveRun: 0,
        run: 0,
      };
      ev = this.ev;
    }
    if (ev) {
      this.account(ev, f, speaking, headSpeed, rigid);
      ev.run = above ? ev.run + 1 : 0;
      ev.aboveRun = Math.max(ev.aboveRun, ev.run);
      for (let k = 0; k < 2 * NR; k++) {
        if (!(u[k] > 1)) continue;
        ev.carriers.add(k);
        ev.regions.add(FACE_REGIONS[k % NR]);
        if (k < NR) ev.auRegions.add(FACE_REGIONS[k]);
      }
      if (score > ev.apexScore) {
        ev.apex = s;
        ev.apexScore = score;
      }
      if (f.t - ev.onset >= o.maxEventS) this.close(ev, f.t, emit);
    } else {
      // the thresholds learn only from rest frames, so an expression does not raise its own bar
      this.auCh.learn(sig);
      if (f.appearance) this.appCh.learn(app);
      else this.appCh.reset();
    }
    this.last = s;
  }

  /** one more frame of an open event */
  private account(ev: OpenEvent, f: SpotterFrame, speaking: number, headSpeed: number, rigid: boolean): void {
    ev.frames++;
    ev.speakSum += speaking;
    ev.lastSpeaking = speaking;
    ev.maxHeadSpeed = Math.max(ev.maxHeadSpeed, headSpeed);
    ev.rigid ||= rigid;
    ev.maxAu45 = Math.max(ev.maxAu45, f.au[AU_INDEX.AU45] ?? 0);
    ev.maxFaceSpeed = Math.max(ev.maxFaceSpeed, f.faceSpeed ?? 0);
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
    // mouth/jaw-only motion is speech when the face speaks through most of it, or when speech is what ended it (the
    // lips' articulation is recognised a few frames in, and from then on the mouth no longer holds the event open)
    const speech = ev.speakSum / ev.frames >= o.speakingMin || ev.lastSpeaking >= o.speakingMin;
    if ([...ev.auRegions].every((r) => r === 'mouth' || r === 'jaw') && speech) return;
    const aus = AU_NAMES.filter((n, i) => n !== 'AU45' && ev.apex.au[i] >= o.auMin);
    const apex = ev.apex;
    const onset = ev.onsetS;
    let intensity = 0;
    let rise = 0;
    let appRise = 0;
    let appPeak = 0;
    for (let r = 0; r < NR; r++) {
      intensity = Math.max(intensity, apex.sig[r]);
      rise = Math.max(rise, apex.sig[r] - (onset ? onset.sig[r] : 0));
      const p = apex.app[r];
      if (!Number.isNaN(p)) {
        appRise = Math.max(appRise, p - (onset && !Number.isNaN(onset.app[r]) ? onset.app[r] : 0));
        appPeak = Math.max(appPeak, p);
      }
    }
    const byAu = ev.auRegions.size > 0 && intensity >= o.minIntensity && rise >= o.minIntensity;
    const byAppearance = appRise >= o.appearanceMinRise;
    if (!byAu && !byAppearance) return;
    emit({
      trackId: this.trackId,
      onset: ev.onset,
      apex: apex.t,
      offset,
      durationMs,
      kind: durationMs < o.microMaxMs ? 'micro' : 'macro',
      regions,
      aus,
      intensity: Math.min(1, Math.round((byAu ? intensity : appPeak / APPEARANCE_FULL_SCALE) * 1000) / 1000),
      expressionAtApex: apex.expr,
    });
  }

  flush(emit: Emit<MicroExpressionRecord>): void {
    if (this.ev && this.last) this.close(this.ev, this.last.t, emit);
  }

  get inEvent(): boolean {
    return this.ev !== null;
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

  /** An event is open on the track (its appearance reference should hold still: regionMotion.ts). */
  inEvent(trackId: number): boolean {
    return this.tracks.get(trackId)?.inEvent ?? false;
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
