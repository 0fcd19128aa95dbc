/**
 * BlazeFace face detection around Human's `blazeface` graph (256×256 input, MediaPipe's SSD anchors): anchor grid,
 * box + 6-keypoint decoding, weighted NMS and score threshold. Faces come back in frame pixel coordinates.
 *
 * The model emits, per anchor, a score logit and 16 values: box centre offset (x, y) and size (w, h), then 6
 * keypoints (x, y) as offsets from the anchor, all in input pixels (Human's blazeface.ts decodes the same way).
 */
import { z } from 'zod';
import { type Affine, applyAffine, letterboxAffine, type Point2, type RgbFrame, warpAffine } from './imageOps.ts';
import { f32, type ModelRunner, outputOf } from './visionModels.ts';

export const BLAZEFACE_INPUT = 256;

/** Keypoint order of the model. Eyes are the subject's: the right eye is on the image's left for a frontal face. */
export const BLAZEFACE_KEYPOINTS = ['rightEye', 'leftEye', 'nose', 'mouth', 'rightEar', 'leftEar'] as const;

export const blazeFaceOptionsSchema = z.object({
  /** minimum sigmoid score of a detection */
  minScore: z.number().min(0).max(1).default(0.5),
  /** IoU above which overlapping detections are merged (weighted NMS) */
  iouThreshold: z.number().min(0).max(1).default(0.3),
  maxFaces: z.number().int().min(1).default(20),
  /** smallest face side kept, in frame pixels */
  minSize: z.number().min(0).default(0),
});
export type BlazeFaceOptions = z.infer<typeof blazeFaceOptionsSchema>;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FaceDetection {
  box: Box;
  score: number;
  /** 6 keypoints in BLAZEFACE_KEYPOINTS order, frame pixels */
  keypoints: Point2[];
}

/** The model's two anchor grids: output strides (input pixels, fixed by its convolutions) and anchors per cell. */
const ANCHOR_GRIDS = [
  { stride: 16, n: 2 },
  { stride: 32, n: 6 },
] as const;

/**
 * Anchor centres in input pixels, in the model's output order: stride 16 (16×16 cells × 2 anchors = 512) then
 * stride 32 (8×8 × 6 = 384); 896 in all for the square 256 input (as Human's `generateAnchors(256)`). A
 * `width`×`height` input (multiples of 32, see `blazeFaceInputSize`) has (height/16)·(width/16)·2 then
 * (height/32)·(width/32)·6, row by row, the order of the model's reshapes.
 */
export function generateAnchors(width = BLAZEFACE_INPUT, height = width): Float32Array {
  const out: number[] = [];
  for (const { stride, n } of ANCHOR_GRIDS) {
    const cols = Math.ceil(width / stride);
    const rows = Math.ceil(height / stride);
    for (let gy = 0; gy < rows; gy++) {
      for (let gx = 0; gx < cols; gx++) {
        for (let k = 0; k < n; k++) out.push(stride * (gx + 0.5), stride * (gy + 0.5));
      }
    }
  }
  return new Float32Array(out);
}

/**
 * Model input for a frame: the long side 256 (the model's native scale), the short side its letterboxed extent
 * rounded up to a multiple of 32 (the total stride). A 640×480 frame gets 256×192 instead of a 256×256 square of
 * which a quarter is letterbox: 3/4 of the compute (BlazeFace is ~3× a tracking frame's mesh). The model is
 * convolutional, so faces inside the picture see the same filters; only the outermost 16–32 px rows meet the
 * convolution's zero padding instead of letterbox black.
 */
export function blazeFaceInputSize(width: number, height: number): { width: number; height: number } {
  const N = BLAZEFACE_INPUT;
  const fit = (short: number, long: number) =>
    Math.min(N, Math.max(64, Math.ceil(((N * short) / long - 1e-6) / 32) * 32));
  return width >= height ? { width: N, height: fit(height, width) } : { width: fit(width, height), height: N };
}

/** A candidate before NMS: box corners and keypoints in input pixels. */
export interface Candidate {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  keypoints: number[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, x))));

/**
 * Decodes the raw outputs (scores [N], boxes [N×16], anchors [N×2]) into candidates above `minScore`, in input
 * pixel coordinates.
 */
export function decodeCandidates(
  scores: Float32Array,
  boxes: Float32Array,
  anchors: Float32Array,
  minScore: number,
): Candidate[] {
  const n = scores.length;
  const out: Candidate[] = [];
  const logitMin = Math.log(minScore / (1 - minScore));
  for (let i = 0; i < n; i++) {
    if (scores[i] < logitMin) continue;
    const ax = anchors[2 * i];
    const ay = anchors[2 * i + 1];
    const o = i * 16;
    const cx = boxes[o] + ax;
    const cy = boxes[o + 1] + ay;
    const w = boxes[o + 2];
    const h = boxes[o + 3];
    const keypoints: number[] = [];
    for (let k = 0; k < 6; k++) keypoints.push(boxes[o + 4 + 2 * k] + ax, boxes[o + 5 + 2 * k] + ay);
    out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score: sigmoid(scores[i]), keypoints });
  }
  return out;
}

export function iou(a: Candidate, b: Candidate): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * MediaPipe's weighted NMS: the best remaining candidate absorbs every candidate overlapping it by more than
 * `iouThreshold`; the merged box and keypoints are the score-weighted mean of the cluster, the score the best one's.
 * Averaging the many anchors that fire on one face steadies the box from frame to frame more than plain NMS.
 */
export function weightedNms(cands: readonly Candidate[], iouThreshold: number, maxOut = Infinity): Candidate[] {
  const rest = [...cands].sort((a, b) => b.score - a.score);
  const out: Candidate[] = [];
  while (rest.length > 0 && out.length < maxOut) {
    const top = rest[0];
    const cluster: Candidate[] = [];
    const keep: Candidate[] = [];
    for (const c of rest) (iou(top, c) > iouThreshold || c === top ? cluster : keep).push(c);
    let wsum = 0;
    const m = { x1: 0, y1: 0, x2: 0, y2: 0 };
    const kp = new Array<number>(top.keypoints.length).fill(0);
    for (const c of cluster) {
      wsum += c.score;
      m.x1 += c.x1 * c.score;
      m.y1 += c.y1 * c.score;
      m.x2 += c.x2 * c.score;
      m.y2 += c.y2 * c.score;
      for (let k = 0; k < kp.length; k++) kp[k] += c.keypoints[k] * c.score;
    }
    out.push({
      x1: m.x1 / wsum,
      y1: m.y1 / wsum,
      x2: m.x2 / wsum,
      y2: m.y2 / wsum,
      score: top.score,
      keypoints: kp.map((v) => v / wsum),
    });
    rest.length = 0;
    rest.push(...keep);
  }
  return out;
}

/** Maps candidates from input pixels to frame pixels through the letterbox transform (a uniform scale + shift). */
export function candidatesToFrame(cands: readonly Candidate[], m: Affine): FaceDetection[] {
  return cands.map((c) => {
    const [x1, y1] = applyAffine(m, c.x1, c.y1);
    const [x2, y2] = applyAffine(m, c.x2, c.y2);
    const keypoints: Point2[] = [];
    for (let k = 0; k < c.keypoints.length; k += 2) keypoints.push(applyAffine(m, c.keypoints[k], c.keypoints[k + 1]));
    return { box: { x: x1, y: y1, w: x2 - x1, h: y2 - y1 }, score: c.score, keypoints };
  });
}

/** BlazeFace over whole frames; one instance per thread (it reuses its input buffer and anchors per frame size). */
export class BlazeFaceDetector {
  readonly options: BlazeFaceOptions;
  private input = new Float32Array(0);
  private anchors: { key: string; data: Float32Array } = { key: '', data: new Float32Array(0) };

  constructor(
    private readonly model: ModelRunner,
    options: Partial<BlazeFaceOptions> = {},
  ) {
    this.options = blazeFaceOptionsSchema.parse(options);
  }

  /** Faces in `frame`, best first, in frame pixel coordinates. */
  async detect(frame: RgbFrame): Promise<FaceDetection[]> {
    const { width: W, height: H } = blazeFaceInputSize(frame.width, frame.height);
    const m = letterboxAffine(frame.width, frame.height, W, H);
    if (this.input.length !== W * H * 3) this.input = new Float32Array(W * H * 3);
    const key = `${W}x${H}`;
    if (this.anchors.key !== key) this.anchors = { key, data: generateAnchors(W, H) };
    // [-1, 1] as in Human (x / 127.5 − 1); the letterbox border is black
    warpAffine(frame, m, W, H, { scale: 1 / 127.5, offset: -1 }, this.input);
    const res = await this.model.run({ [this.model.inputNames[0]]: f32(this.input, [1, H, W, 3]) });
    const scores = concat(outputOf(res, 'scores_512'), outputOf(res, 'scores_384'));
    const boxes = concat(outputOf(res, 'boxes_512'), outputOf(res, 'boxes_384'));
    const { minScore, iouThreshold, maxFaces, minSize } = this.options;
    const merged = weightedNms(decodeCandidates(scores, boxes, this.anchors.data, minScore), iouThreshold, maxFaces);
    return candidatesToFrame(merged, m).filter((f) => Math.min(f.box.w, f.box.h) >= minSize);
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
