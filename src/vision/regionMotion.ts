/**
 * Per-region motion of one face: landmark speed on the pose-normalised mesh (inter-ocular units per second, so head
 * motion and distance to the camera drop out) and appearance change on the aligned grey crop (mean absolute frame
 * difference inside the region's box of the canonical crop, 0..1 per second). Landmarks catch shape change, the crop
 * catches what the mesh smooths over (wrinkles, nasolabial folds, lid texture).
 * Appearance level (for the spotter, which spots levels above an adaptive threshold, not speeds): per region the mean
 * absolute difference between the crop and a reference crop that follows it slowly (exponential average, time
 * constant APPEARANCE_REF_TAU_S), over APPEARANCE_FULL_SCALE, clamped to 0..1. A change that comes and goes within a
 * micro-expression's 40–500 ms stands out against the reference; lighting drift and a held expression fade into it.
 */
import { FACE_REGIONS, type FaceRegion } from '../events/schema.ts';

/** Mesh indices per region (MediaPipe FaceMesh topology). */
export const REGION_LANDMARKS: Record<FaceRegion, readonly number[]> = {
  brows: [70, 63, 105, 66, 107, 55, 65, 52, 53, 46, 300, 293, 334, 296, 336, 285, 295, 282, 283, 276],
  eyes: [33, 133, 159, 145, 158, 153, 160, 144, 263, 362, 386, 374, 385, 380, 387, 373],
  nose: [1, 4, 5, 6, 98, 327, 48, 278, 129, 358],
  mouth: [61, 291, 0, 13, 14, 17, 37, 267, 84, 314, 78, 308],
  jaw: [152, 148, 377, 176, 400, 199, 175],
};

/** Region boxes on the canonical aligned crop (unit square, alignment.CANONICAL_5 layout): x0, y0, x1, y1. */
export const REGION_BOXES: Record<FaceRegion, readonly [number, number, number, number]> = {
  brows: [0.2, 0.28, 0.8, 0.43],
  eyes: [0.22, 0.4, 0.78, 0.53],
  nose: [0.38, 0.52, 0.62, 0.7],
  mouth: [0.3, 0.74, 0.7, 0.92],
  jaw: [0.3, 0.9, 0.7, 1],
};

export type RegionValues = Record<FaceRegion, number>;

/**
 * Seconds of the appearance reference's exponential average: 2 s keeps a 200 ms change at ≥ 90 % of its size and a
 * 600 ms one at ≥ 74 %, and forgets a lighting change within a few seconds.
 */
export const APPEARANCE_REF_TAU_S = 2;
/**
 * Mean absolute grey change in a region box (fraction of 0..255) that counts as full intensity: 0.04 ≈ 10 grey levels
 * over the whole box, e.g. furrows appearing over a third of the brow box at 30 levels' contrast. A first estimate from
 * that geometry, not fitted; the spotter's adaptive threshold takes each face's own noise level out.
 */
export const APPEARANCE_FULL_SCALE = 0.04;

export interface RegionMotionSample {
  landmark: RegionValues;
  appearance: RegionValues | null;
  /** appearance change against the slow reference, 0..1 (null without crops) */
  appearanceLevel: RegionValues | null;
}

const zeros = (): RegionValues => ({ brows: 0, eyes: 0, nose: 0, mouth: 0, jaw: 0 });

/** Stateful per track: keeps the previous normalised mesh and crop. */
export class RegionMotion {
  private prevMesh: Float32Array | null = null;
  private prevCrop: Float32Array | null = null;
  private refCrop: Float32Array | null = null;
  private prevT = 0;

  /** `normMesh` from alignment.normaliseMesh; `crop` an optional aligned grey crop of `cropSize`² values 0..255. */
  update(t: number, normMesh: Float32Array, crop?: ArrayLike<number>, cropSize = 64): RegionMotionSample {
    const dt = t - this.prevT;
    const landmark = zeros();
    let appearance: RegionValues | null = null;
    let appearanceLevel: RegionValues | null = null;
    if (this.prevMesh && dt > 0) {
      const p = this.prevMesh;
      for (const r of FACE_REGIONS) {
        let s = 0;
        for (const i of REGION_LANDMARKS[r])
          s += Math.hypot(normMesh[3 * i] - p[3 * i], normMesh[3 * i + 1] - p[3 * i + 1]);
        landmark[r] = s / REGION_LANDMARKS[r].length / dt;
      }
      if (crop && this.prevCrop && this.prevCrop.length === crop.length) {
        appearance = zeros();
        for (const r of FACE_REGIONS) appearance[r] = boxDiff(crop, this.prevCrop, cropSize, REGION_BOXES[r]) / dt;
      }
    }
    if (crop) {
      if (!this.refCrop || this.refCrop.length !== crop.length) this.refCrop = Float32Array.from(crop);
      else {
        const ref = this.refCrop;
        appearanceLevel = zeros();
        for (const r of FACE_REGIONS)
          appearanceLevel[r] = Math.min(1, boxDiff(crop, ref, cropSize, REGION_BOXES[r]) / APPEARANCE_FULL_SCALE);
        const a = dt > 0 ? 1 - Math.exp(-dt / APPEARANCE_REF_TAU_S) : 0;
        for (let k = 0; k < ref.length; k++) ref[k] += a * (crop[k] - ref[k]);
      }
    } else this.refCrop = null;
    this.prevMesh = normMesh.slice();
    this.prevCrop = crop ? Float32Array.from(crop) : null;
    this.prevT = t;
    return { landmark, appearance, appearanceLevel };
  }
}

/** Mean absolute grey difference (0..1) inside a unit box of two square crops. */
export function boxDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  size: number,
  box: readonly [number, number, number, number],
): number {
  const x0 = Math.floor(box[0] * size);
  const y0 = Math.floor(box[1] * size);
  const x1 = Math.min(size, Math.ceil(box[2] * size));
  const y1 = Math.min(size, Math.ceil(box[3] * size));
  let s = 0;
  let n = 0;
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const k = yy * size + xx;
      s += Math.abs(a[k] - b[k]);
      n++;
    }
  }
  return n ? s / n / 255 : 0;
}
