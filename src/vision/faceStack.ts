/**
 * The per-frame face stack in its two modes:
 * - detection: BlazeFace → mesh ROI from each detection → 468-point mesh → aligned crops → both expression nets;
 * - tracking: each face's previous landmarks → mesh ROI → mesh → crops → expression (no detector run).
 * Crops are aligned by the eye line only (`regionsFromMesh`); a full similarity alignment can replace them through
 * `ExpressionNets.run`. Iris is optional (off by default: not needed by the expression path).
 * Whether and when to re-detect is the caller's policy (a tracker upstream); this only runs one frame.
 */
import { z } from 'zod';
import type { OrtSessionCache } from '../model/ortSession.ts';
import { BlazeFaceDetector, type Box, blazeFaceOptionsSchema, type FaceDetection } from './blazeFace.ts';
import {
  ExpressionNets,
  type ExpressionResult,
  expressionOptionsSchema,
  type HalfExpressionRun,
} from './expression.ts';
import { FaceMesh, type FaceMeshResult, faceMeshOptionsSchema, MESH_POINTS } from './faceMesh.ts';
import { type RgbFrame, withPinnedFrame } from './imageOps.ts';
import { IrisLandmarks, type IrisResult, irisOptionsSchema } from './iris.ts';
import { loadVisionModels, type VisionModelName, type VisionModels } from './visionModels.ts';

export const faceStackOptionsSchema = z.object({
  detector: blazeFaceOptionsSchema.default(blazeFaceOptionsSchema.parse({})),
  mesh: faceMeshOptionsSchema.default(faceMeshOptionsSchema.parse({})),
  expression: expressionOptionsSchema.default(expressionOptionsSchema.parse({})),
  iris: irisOptionsSchema.extend({ enabled: z.boolean().default(false) }).default({ enabled: false, eyeScale: 2.3 }),
});
export type FaceStackOptions = z.infer<typeof faceStackOptionsSchema>;
export type FaceStackOptionsInput = z.input<typeof faceStackOptionsSchema>;

export interface StackFace {
  /** axis-aligned bounds of the mesh, frame pixels */
  box: Box;
  /** mesh confidence 0..1 */
  score: number;
  /** the detection the face came from (detection mode only) */
  detection?: FaceDetection;
  mesh: FaceMeshResult;
  expression: ExpressionResult;
  iris?: IrisResult;
}

export type FaceStackModels = Pick<VisionModels, 'blazeface' | 'facemesh' | 'emotion' | 'faceexpression'> &
  Partial<Pick<VisionModels, 'iris'>>;

/** Bounding box of the 468 mesh points. */
export function meshBox(lm: Float32Array): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < MESH_POINTS; i++) {
    const x = lm[3 * i];
    const y = lm[3 * i + 1];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * One frame at a time; one instance per thread (the parts reuse their input buffers). Each call pins its frame
 * (imageOps.ts withPinnedFrame), so the several crops one frame gives (detector input, mesh, both expression crops)
 * share one copy in the warp kernel's memory instead of each copying the rows it reads.
 */
export class FaceStack {
  readonly options: FaceStackOptions;
  readonly detector: BlazeFaceDetector;
  readonly mesh: FaceMesh;
  readonly expression: ExpressionNets;
  readonly iris: IrisLandmarks | null;

  constructor(models: FaceStackModels, options: FaceStackOptionsInput = {}) {
    this.options = faceStackOptionsSchema.parse(options);
    this.detector = new BlazeFaceDetector(models.blazeface, this.options.detector);
    this.mesh = new FaceMesh(models.facemesh, this.options.mesh);
    this.expression = new ExpressionNets(models.emotion, models.faceexpression, this.options.expression);
    if (this.options.iris.enabled && !models.iris) throw new Error('face stack: iris enabled but no iris model given');
    this.iris = this.options.iris.enabled && models.iris ? new IrisLandmarks(models.iris, this.options.iris) : null;
  }

  /** Opens the models (checked against models/manifest.json) and builds a stack. */
  static async load(
    opts: { dir?: string; cache?: OrtSessionCache; options?: FaceStackOptionsInput } = {},
  ): Promise<FaceStack> {
    const options = faceStackOptionsSchema.parse(opts.options ?? {});
    const only: VisionModelName[] = ['blazeface', 'facemesh', 'emotion', 'faceexpression'];
    if (options.iris.enabled) only.push('iris');
    const models = await loadVisionModels({ dir: opts.dir, cache: opts.cache, only });
    return new FaceStack(models, options);
  }

  /** Detection mode: every face BlazeFace finds whose mesh confirms it. */
  async detect(frame: RgbFrame): Promise<StackFace[]> {
    return withPinnedFrame(frame, async () => this.fromDetections(frame, await this.detector.detect(frame)));
  }

  /** Mesh, crops and expression for detections the caller already has (the tracker meshes only new faces). */
  async fromDetections(frame: RgbFrame, dets: readonly FaceDetection[]): Promise<StackFace[]> {
    if (dets.length === 0) return [];
    return withPinnedFrame(frame, async () => {
      const meshes = await this.mesh.fromDetections(frame, dets);
      const kept = dets.flatMap((d, i) => (meshes[i] ? [{ detection: d, mesh: meshes[i] as FaceMeshResult }] : []));
      return this.finish(frame, kept);
    });
  }

  /**
   * Tracking mode: one result per previous mesh, in the same order; null where the mesh no longer finds a face
   * (the caller should re-detect). With `half`, only one expression net runs (ExpressionNets.run), its `held` results
   * in the order of `previous`.
   */
  async track(
    frame: RgbFrame,
    previous: readonly Float32Array[],
    half?: HalfExpressionRun,
  ): Promise<(StackFace | null)[]> {
    return withPinnedFrame(frame, async () => {
      const meshes = await this.mesh.track(frame, previous);
      const kept = meshes.flatMap((m) => (m ? [{ mesh: m }] : []));
      const keptHalf = half && { net: half.net, held: half.held.filter((_, i) => meshes[i]) };
      const done = await this.finish(frame, kept, keptHalf);
      let j = 0;
      return meshes.map((m) => (m ? done[j++] : null));
    });
  }

  /** Tracking when previous landmarks are given, detection otherwise (lost tracks are dropped). */
  async process(frame: RgbFrame, previous: readonly Float32Array[] = []): Promise<StackFace[]> {
    if (previous.length === 0) return this.detect(frame);
    return (await this.track(frame, previous)).filter((f): f is StackFace => f !== null);
  }

  private async finish(
    frame: RgbFrame,
    faces: readonly { mesh: FaceMeshResult; detection?: FaceDetection }[],
    half?: HalfExpressionRun,
  ): Promise<StackFace[]> {
    const lms = faces.map((f) => f.mesh.landmarks);
    const expr = await this.expression.run(
      frame,
      lms.map((lm) => this.expression.regionsFromMesh(lm)),
      half,
    );
    const iris = this.iris ? await this.iris.run(frame, lms) : null;
    return faces.map((f, i) => ({
      box: meshBox(f.mesh.landmarks),
      score: f.mesh.score,
      ...(f.detection ? { detection: f.detection } : {}),
      mesh: f.mesh,
      expression: expr[i],
      ...(iris ? { iris: iris[i] } : {}),
    }));
  }
}
