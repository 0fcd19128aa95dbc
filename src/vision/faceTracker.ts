/**
 * Multi-face tracking at the source frame rate. Every live track follows its own landmarks on every frame (FaceStack
 * tracking mode, ~4× cheaper than detection). The detector (BlazeFace) runs every `detectEvery` frames, when a track
 * was lost, or when nothing is tracked; a detection that overlaps a followed face is that face, so followed faces
 * keep their tracking-mode mesh: replacing it by the mesh of the detection's ROI made every landmark jump each
 * `detectEvery` frames, which the micro-expression spotter read as expressions. Only new detections get a mesh (and a
 * descriptor); they are matched to tracks that are missing by cost = (1 − IoU) + descriptorWeight·(1 − cosine) when
 * descriptors are available; a track that missed frames keeps its id if it is matched again before `maxMissingS`
 * (short occlusions, crossings — the faceres descriptor tells crossing faces apart), then it ends.
 * Matching is greedy on ascending cost: with ≤ maxFaces (default 4) faces per side the greedy assignment equals the
 * Hungarian one except in contrived ties, and it needs no dependency.
 */
import { z } from 'zod';
import type { Box } from './blazeFace.ts';
import type { ExpressionResult } from './expression.ts';
import { cosineSimilarity, type FaceDescriptor } from './faceDescriptor.ts';
import type { FaceStack, StackFace } from './faceStack.ts';
import type { RgbFrame } from './imageOps.ts';

export const faceTrackerOptionsSchema = z.object({
  /** run the detector at least every N frames (new faces appear within N frames) */
  detectEvery: z.number().int().positive().default(10),
  /**
   * with no face tracked, run the detector every N frames. BlazeFace is ~4× a tracking frame: detecting on every
   * frame of a stream without a face (camera pointed away, an empty seat) cost more than following a face; at 3 a
   * face that appears is found within 0.1 s.
   */
  idleDetectEvery: z.number().int().positive().default(3),
  /**
   * where in the detectEvery cycle the periodic detector frames fall (0..detectEvery−1). Streams that share a worker
   * get different phases so their detector frames (~2–3× a tracking frame) do not land on the same frame period.
   */
  detectPhase: z.number().int().min(0).default(0),
  /** most faces tracked, largest first */
  maxFaces: z.number().int().positive().default(4),
  /** a track unseen for longer than this (media seconds) ends */
  maxMissingS: z.number().positive().default(0.5),
  /** lowest IoU for a detection to continue a track without descriptor evidence */
  matchIou: z.number().min(0).max(1).default(0.3),
  /** weight of (1 − cosine similarity) in the matching cost */
  descriptorWeight: z.number().min(0).default(1),
  /** highest matching cost accepted */
  maxCost: z.number().positive().default(1.2),
  /** a tracked mesh below this confidence counts as lost */
  minScore: z.number().min(0).max(1).default(0.5),
});
export type FaceTrackerOptions = z.infer<typeof faceTrackerOptionsSchema>;

export interface TrackedFace {
  trackId: number;
  face: StackFace;
  /** true when this frame came from the detector */
  detected: boolean;
}

export interface TrackerStep {
  t: number;
  faces: TrackedFace[];
  /** trackIds that ended at this frame (absent longer than maxMissingS) */
  ended: number[];
  /** the detector ran on this frame */
  detectorRan: boolean;
}

interface Track {
  id: number;
  landmarks: Float32Array;
  box: Box;
  lastSeen: number;
  descriptor: Float32Array | null;
  /** the last expression result, held for half runs (`process`'s `halfExpression`) */
  expression: ExpressionResult;
}

/** two followed meshes overlapping this much are one face */
const SAME_FACE_IOU = 0.6;

export function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

export class FaceTracker {
  readonly opts: FaceTrackerOptions;
  private tracks: Track[] = [];
  private nextId = 0;
  private frameNo = 0;
  private lost = false;

  constructor(
    private readonly stack: FaceStack,
    opts: z.input<typeof faceTrackerOptionsSchema> = {},
    private readonly descriptor: FaceDescriptor | null = null,
  ) {
    this.opts = faceTrackerOptionsSchema.parse(opts);
  }

  get activeTrackIds(): number[] {
    return this.tracks.map((t) => t.id);
  }

  /**
   * `halfExpression`: followed faces run one expression net per frame, the two nets alternating frame by frame, the
   * other net's output held from the face's previous frame (ExpressionNets.run). New faces run both.
   */
  async process(frame: RgbFrame, t: number, halfExpression = false): Promise<TrackerStep> {
    const o = this.opts;
    const detectNow =
      this.tracks.length === 0
        ? this.frameNo % o.idleDetectEvery === 0
        : this.lost || (this.frameNo + o.detectPhase) % o.detectEvery === 0;
    this.frameNo++;
    const out: TrackedFace[] = [];
    const followed = new Set<Track>();
    if (this.tracks.length) {
      const res = await this.stack.track(
        frame,
        this.tracks.map((tr) => tr.landmarks),
        halfExpression
          ? {
              net: this.frameNo % 2 ? 'emotion' : 'faceExpression',
              held: this.tracks.map((tr) => tr.expression),
            }
          : undefined,
      );
      res.forEach((r, j) => {
        if (!r || r.score < o.minScore) return;
        const tr = this.tracks[j];
        // two tracks that followed their meshes onto one face (crossing faces): the older keeps it, the other counts
        // as missing and is re-identified by the detector or ends
        if (out.some((f) => boxIou(f.face.box, r.box) >= SAME_FACE_IOU)) return;
        this.update(tr, r, t, null);
        followed.add(tr);
        out.push({ trackId: tr.id, face: r, detected: false });
      });
    }
    if (detectNow) {
      const fresh = (await this.stack.detector.detect(frame))
        .filter((d) => ![...followed].some((tr) => boxIou(d.box, tr.box) >= o.matchIou))
        .sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h)
        .slice(0, Math.max(0, o.maxFaces - followed.size));
      const dets = (await this.stack.fromDetections(frame, fresh)).filter((f) => f.score >= o.minScore);
      const descs =
        this.descriptor && dets.length
          ? await this.descriptor.run(
              frame,
              dets.map((d) => d.mesh.landmarks),
            )
          : null;
      const missing = this.tracks.filter((tr) => !followed.has(tr));
      const pairs: [number, number, number][] = [];
      dets.forEach((d, i) => {
        missing.forEach((tr, j) => {
          const iou = boxIou(d.box, tr.box);
          const sim = descs?.[i] && tr.descriptor ? cosineSimilarity(descs[i], tr.descriptor) : null;
          if (sim === null && iou < o.matchIou) return;
          const cost = 1 - iou + (sim === null ? 0 : o.descriptorWeight * (1 - sim));
          if (cost <= o.maxCost) pairs.push([cost, i, j]);
        });
      });
      pairs.sort((a, b) => a[0] - b[0]);
      const di = new Set<number>();
      const tj = new Set<number>();
      for (const [, i, j] of pairs) {
        if (di.has(i) || tj.has(j)) continue;
        di.add(i);
        tj.add(j);
        this.update(missing[j], dets[i], t, descs?.[i] ?? null);
        out.push({ trackId: missing[j].id, face: dets[i], detected: true });
      }
      dets.forEach((d, i) => {
        if (di.has(i) || this.tracks.length >= o.maxFaces) return;
        const tr: Track = {
          id: this.nextId++,
          landmarks: d.mesh.landmarks,
          box: d.box,
          lastSeen: t,
          descriptor: descs?.[i] ?? null,
          expression: d.expression,
        };
        this.tracks.push(tr);
        out.push({ trackId: tr.id, face: d, detected: true });
      });
      this.lost = false;
    }
    const ended = this.tracks.filter((tr) => t - tr.lastSeen > o.maxMissingS).map((tr) => tr.id);
    if (ended.length) this.tracks = this.tracks.filter((tr) => !ended.includes(tr.id));
    // a track that missed this frame keeps asking for detection until it is found or ends
    if (out.length < this.tracks.length) this.lost = true;
    out.sort((a, b) => a.trackId - b.trackId);
    return { t, faces: out, ended, detectorRan: detectNow };
  }

  private update(tr: Track, f: StackFace, t: number, desc: Float32Array | null): void {
    tr.landmarks = f.mesh.landmarks;
    tr.box = f.box;
    tr.lastSeen = t;
    tr.expression = f.expression;
    if (desc) tr.descriptor = desc;
  }

  /** Ends every track (end of stream). */
  endAll(): number[] {
    const ids = this.tracks.map((t) => t.id);
    this.tracks = [];
    return ids;
  }
}
