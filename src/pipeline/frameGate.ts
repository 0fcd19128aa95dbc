/**
 * Backpressure for live video: decides per decoded frame whether the face branch takes it, before the frame is
 * copied out of the decoder's pooled buffer. Under load it degrades in this order, keeping the face branch at the
 * source rate for as long as possible: (1) the global branch runs on fewer frames, (2) the global branch stops and
 * face.frame events slow down, (3) the face branch runs one of its two expression nets per frame, alternating
 * (`halfExpression`), (4) only then are whole frames dropped.
 */
export interface FrameGateOptions {
  /** frames allowed in flight in the worker for one stream before new ones are dropped */
  maxInflight: number;
  /**
   * the same limit for a stream's first frames, until MIN_SAMPLES of them are analysed. Those run the detector, the
   * new face's descriptor and the first body pose (on one core, in isolation: 50–75 ms, then ~30 ms, then ~11 ms),
   * and every stream starting at once shares the cores with decoders being spawned: 110–270 ms for the first frame
   * with 4 streams. With maxInflight alone the gate dropped each stream's first ~0.4 s (48 of the 4 streams' frames
   * in the first 0.5 s of a 30 s run, a quarter of all its drops) for a one-off cost the worker catches up on.
   */
  startupInflight: number;
  /** smoothing window for the analysis-time estimate, frames */
  window: number;
}

export interface GateDecision {
  /** analyse this frame's faces */
  take: boolean;
  /** also run the global branch (body pose, scene motion) on it */
  global: boolean;
  /** current degradation level: 0 none, 1 global every 3rd frame, 2 global off, 3 dropping frames */
  level: 0 | 1 | 2 | 3;
  /** run one expression net per face on this frame, the two alternating (step 3 of the degradation order) */
  halfExpression: boolean;
}

/**
 * face.frame rate from level 2 on. 5 Hz rather than lower: clients draw overlays from these events, and at 2 Hz a
 * moving face's box visibly lags; 5 Hz still halves the default 10 Hz delivery work on the main loop.
 */
export const DEGRADED_FACE_FRAME_HZ = 5;

/**
 * A cost sample above this multiple of the window's median is counted at that multiple: one slow frame (a GC pause,
 * the descriptor of a new face, a time slice lost to another process) must not flip the level on its own, while the
 * periodic detector frames (~2–2.5× a tracking frame) still count in full.
 */
const OUTLIER_FACTOR = 3;

/** FrameGateOptions.startupInflight by default: 6 frames of 640×480 RGB are 5.5 MB per stream, for its first ~10 frames */
export const STARTUP_INFLIGHT = 6;

/** Samples needed before the level moves: a stream's first frame (detector + descriptor) is its slowest. */
const MIN_SAMPLES = 10;

/**
 * Half expression runs start, once the global branch is off, when more than this fraction of the window's frames
 * arrived with the stream's previous frame still in the worker (that frame's arrival → result latency over a frame
 * period: the p90 latency is above one frame period), or when a frame is dropped. They save ~1.5 of a tracking
 * frame's ~5–6 ms per face (bench/stack: emotion 1.44 ms, faceexpression 1.58 ms).
 */
const HALF_QUEUED = 0.1;
/** …and stop when the queue has been nearly empty (this fraction) and the load low for a whole window. */
const FULL_QUEUED = 0.02;
const FULL_LOAD = 0.6;

export class FrameGate {
  private readonly costs: number[] = [];
  private level: 0 | 1 | 2 | 3 = 0;
  private half = false;
  /** per taken frame of the window: 1 when it arrived with the stream's previous frame still in flight */
  private readonly queued: number[] = [];
  private queuedSum = 0;
  private calmReports = 0;
  private frameCounter = 0;
  private lastT: number | undefined;
  private interval = 1 / 30;
  taken = 0;
  dropped = 0;

  constructor(
    private readonly opts: FrameGateOptions = { maxInflight: 2, startupInflight: STARTUP_INFLIGHT, window: 30 },
  ) {}

  /** Called for each decoded frame with the stream's frames currently in flight. */
  decide(t: number, inflight: number): GateDecision {
    if (this.lastT !== undefined && t > this.lastT) this.interval = 0.9 * this.interval + 0.1 * (t - this.lastT);
    this.lastT = t;
    this.frameCounter++;
    const limit = this.costs.length < MIN_SAMPLES ? this.opts.startupInflight : this.opts.maxInflight;
    if (inflight >= limit) {
      this.dropped++;
      this.level = 3;
      return { take: false, global: false, level: 3, halfExpression: this.half };
    }
    this.taken++;
    this.queued.push(inflight > 0 ? 1 : 0);
    this.queuedSum += inflight > 0 ? 1 : 0;
    if (this.queued.length > this.opts.window) this.queuedSum -= this.queued.shift() ?? 0;
    const global = this.level === 0 || (this.level === 1 && this.frameCounter % 3 === 0);
    return { take: true, global, level: this.level, halfExpression: this.half };
  }

  /** Fraction of the window's taken frames that arrived with the stream's previous frame still in flight. */
  queuedFraction(): number {
    return this.queued.length ? this.queuedSum / this.queued.length : 0;
  }

  /**
   * Reports how long the worker took for a frame (seconds), to steer the degradation level, and optionally the busy
   * fraction of the worker the stream shares with others (0..1, `VisionResult.workerLoad`): a stream that is cheap on
   * its own still degrades when its worker is nearly full, before the queue behind the worker drops frames.
   */
  report(costS: number, workerLoad = 0): void {
    this.costs.push(costS);
    if (this.costs.length > this.opts.window) this.costs.shift();
    if (this.costs.length < Math.min(MIN_SAMPLES, this.opts.window)) return;
    // Ratio of analysis time to the frame interval: above 1 the stream cannot keep up on its own worker.
    const load = Math.max(this.estimate() / this.interval, workerLoad);
    const dropping = this.level === 3;
    if (load > 0.95) this.level = 2;
    else if (load > 0.7) this.level = Math.max(this.level === 3 ? 2 : this.level, 1) as 1 | 2;
    else if (load < 0.5) this.level = 0;
    // the face branch lightens only after the global branch is off (a drop turns that off too) and gets its nets
    // back before the global branch returns
    const queued = this.queuedFraction();
    if (dropping || (this.level >= 2 && queued > HALF_QUEUED)) {
      this.half = true;
      this.calmReports = 0;
    } else if (this.half) {
      this.calmReports = queued <= FULL_QUEUED && load < FULL_LOAD ? this.calmReports + 1 : 0;
      if (this.calmReports >= this.opts.window) this.half = false;
    }
    if (this.half && this.level < 2) this.level = 2;
  }

  /** One expression net per frame (degradation step 3) is on. */
  get halfExpression(): boolean {
    return this.half;
  }

  /** Mean analysis time of the window (seconds) with outliers clipped to OUTLIER_FACTOR × the median. */
  estimate(): number {
    const n = this.costs.length;
    if (n === 0) return 0;
    const sorted = [...this.costs].sort((a, b) => a - b);
    const cap = OUTLIER_FACTOR * sorted[n >> 1];
    let sum = 0;
    for (const c of this.costs) sum += Math.min(c, cap);
    return sum / n;
  }

  get degradation(): 0 | 1 | 2 | 3 {
    return this.level;
  }

  /** The face.frame rate to use now, given the configured one. */
  faceFrameHz(configured: number): number {
    return this.level >= 2 ? Math.min(configured, DEGRADED_FACE_FRAME_HZ) : configured;
  }
}
