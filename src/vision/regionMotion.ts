/**
 * Per-region motion of one face: landmark speed on the pose-normalised mesh (inter-ocular units per second, so head
 * motion and distance to the camera drop out) and appearance change on the aligned grey crop (mean absolute frame
 * difference inside the region's box of the canonical crop, 0..1 per second). Landmarks catch shape change, the crop
 * catches what the mesh smooths over (wrinkles, nasolabial folds, lid texture).
 * Appearance level (for the spotter, which spots levels above an adaptive threshold, not speeds): per region the mean
 * absolute difference between the crop's APPEARANCE_CELL² cell means and a reference that follows them slowly
 * (exponential average, time constant APPEARANCE_REF_TAU_S), as a fraction of the grey range. A change that comes and
 * goes within a micro-expression's 40–500 ms stands out against the reference; lighting drift and a held expression
 * fade into it. The caller holds the reference still while the spotter has an event open (`holdReference`), so a
 * macro-expression is not absorbed into it and read as a change again when it ends.
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
 * 600 ms one at ≥ 74 %, and forgets a lighting change within a few seconds. 0.5 s was tried: on the MEAD splices
 * (bench/spotting) the weakest inserted expression stood 7.8 robust σ over its clip's rest against 7.9 at 2 s, while
 * the neutral clip and the talking heads reached 8.0 σ against 5.8 (4×4 cells, below).
 */
export const APPEARANCE_REF_TAU_S = 2;
/**
 * Side (pixels of the 64² crop) of the square cells whose mean grey the appearance level compares. Per pixel, the
 * 1–2 px the 5-point alignment jitters on a talking face move every high-contrast edge (brow line, lids, lips) as
 * much as furrows change the skin: on the MEAD splices the weakest insertion stood 6.8 robust σ over its clip's rest
 * per pixel, the noisiest real clip (neutral MEAD, talking heads, brows/eyes/nose) 6.4 σ; with 4 px cells 7.9 against
 * 5.8. 8 px cells blur the furrows themselves away (5.6 against 8.5).
 */
export const APPEARANCE_CELL = 4;
/**
 * Appearance level that an appearance-only event reports as intensity 1 (the spotter's `intensity`, 0..1):
 * 0.06 ≈ 15 grey levels, about the brow peak of the spliced MEAD expressions (10–22 levels, bench/spotting).
 */
export const APPEARANCE_FULL_SCALE = 0.06;

export interface RegionMotionSample {
  landmark: RegionValues;
  appearance: RegionValues | null;
  /**
   * appearance change against the slow reference: per region the mean absolute difference of APPEARANCE_CELL-px
   * cell means, as a fraction of the grey range (0..1; 0.01 ≈ 2.5 grey levels; null without crops)
   */
  appearanceLevel: RegionValues | null;
}

const zeros = (): RegionValues => ({ brows: 0, eyes: 0, nose: 0, mouth: 0, jaw: 0 });

/** Stateful per track: keeps the previous normalised mesh and crop. */
export class RegionMotion {
  private prevMesh: Float32Array | null = null;
  private prevCrop: Float32Array | null = null;
  /** slow reference of the crop's cell means, and the current frame's cell means */
  private refCells: Float32Array | null = null;
  private cells: Float32Array | null = null;
  private prevT = 0;

  /** `normMesh` from alignment.normaliseMesh; `crop` an optional aligned grey crop of `cropSize`² values 0..255. */
  update(
    t: number,
    normMesh: Float32Array,
    crop?: ArrayLike<number>,
    cropSize = 64,
    holdReference = false,
  ): RegionMotionSample {
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
      const g = Math.floor(cropSize / APPEARANCE_CELL);
      if (!this.cells || this.cells.length !== g * g) this.cells = new Float32Array(g * g);
      const cells = cellMeans(crop, cropSize, this.cells);
      if (!this.refCells || this.refCells.length !== cells.length) this.refCells = cells.slice();
      else {
        const ref = this.refCells;
        appearanceLevel = zeros();
        for (const r of FACE_REGIONS) appearanceLevel[r] = boxDiff(cells, ref, g, REGION_BOXES[r]);
        const a = dt > 0 && !holdReference ? 1 - Math.exp(-dt / APPEARANCE_REF_TAU_S) : 0;
        for (let k = 0; k < ref.length; k++) ref[k] += a * (cells[k] - ref[k]);
      }
    } else this.refCells = null;
    this.prevMesh = normMesh.slice();
    this.prevCrop = crop ? Float32Array.from(crop) : null;
    this.prevT = t;
    return { landmark, appearance, appearanceLevel };
  }
}

/** Means of the APPEARANCE_CELL² cells of a square crop (a multiple of the cell side), row-major, into `out`. */
function cellMeans(crop: ArrayLike<number>, size: number, out: Float32Array): Float32Array {
  const c = APPEARANCE_CELL;
  const g = Math.floor(size / c);
  out.fill(0);
  for (let y = 0; y < g * c; y++) {
    const row = ((y / c) | 0) * g;
    for (let x = 0; x < g * c; x++) out[row + ((x / c) | 0)] += crop[y * size + x];
  }
  const n = c * c;
  for (let k = 0; k < out.length; k++) out[k] /= n;
  return out;
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
