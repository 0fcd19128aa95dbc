/**
 * Per-frame image operations on raw, row-major pixel arrays: affine warps (crop + rotate + resize in one pass) with
 * bilinear sampling, written straight into the NHWC float tensors the models take.
 *
 * Why hand-written rather than sharp: every face needs 2–4 small crops per frame (192² mesh, 112² and 64² expression,
 * 64² eyes). sharp's `affine()` + `extract()` from a raw 640×480 buffer to a 192² crop took ~2–2.6 ms per call here
 * (libvips pipeline set-up, async hop, whole output canvas), this loop ~0.5 ms on the same shared machine, and sharp
 * returns uint8 that would need another pass to normalise. This loop samples once and writes the normalised floats
 * where onnxruntime reads them.
 * sharp stays in use for decoding test images and whole-frame work.
 *
 * The loops below are the reference and the fallback: where WebAssembly SIMD is available `warpAffine` runs the
 * same computation in warpKernel.wat (see warpWasm.ts), bit-identical and several times faster. Callers that take
 * several crops of one frame should run them inside `withPinnedFrame(frame, …)` so the frame is copied into wasm
 * memory once.
 *
 * Coordinates: continuous pixel coordinates, pixel i covers [i, i+1) and its centre is i + 0.5. An `Affine` maps a
 * point of the output (crop) image to the source (frame) image; landmarks found in a crop map back to the frame by
 * the same transform (`applyAffine`).
 */
import { kernelFits, warpKernel, wasmWarpGrey, wasmWarpRgb } from './warpWasm.ts';

/** Packed RGB24, row-major (the shape of `VideoFrame` from src/ingest). */
export interface RgbFrame {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** x' = a·x + b·y + c ; y' = d·x + e·y + f */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

export { pinFrame, setWarpBackend, warpKernelReady, withPinnedFrame } from './warpWasm.ts';

export type Point2 = [number, number];
export type Point3 = [number, number, number];

export function applyAffine(m: Affine, x: number, y: number): Point2 {
  return [m.a * x + m.b * y + m.c, m.d * x + m.e * y + m.f];
}

export function invertAffine(m: Affine): Affine {
  const det = m.a * m.e - m.b * m.d;
  if (Math.abs(det) < 1e-12) throw new Error('affine transform is not invertible');
  const a = m.e / det;
  const b = -m.b / det;
  const d = -m.d / det;
  const e = m.a / det;
  return { a, b, c: -(a * m.c + b * m.f), d, e, f: -(d * m.c + e * m.f) };
}

/** A square region of the frame, rotated by `angle` radians (the crop's x axis is (cos, sin) in the frame). */
export interface RotatedRect {
  cx: number;
  cy: number;
  /** side length in frame pixels */
  size: number;
  angle: number;
}

/**
 * The transform from an `outW`×`outH` crop to the frame for a rotated square: the crop's centre goes to the rect's
 * centre, its axes to the rect's rotated axes. Non-square outputs keep the pixel aspect (the rect's size spans the
 * larger side).
 */
export function rectToAffine(r: RotatedRect, outW: number, outH = outW): Affine {
  const s = r.size / Math.max(outW, outH);
  const cos = Math.cos(r.angle) * s;
  const sin = Math.sin(r.angle) * s;
  // frame = centre + R·s·(u − outW/2, v − outH/2)
  return {
    a: cos,
    b: -sin,
    c: r.cx - cos * (outW / 2) + sin * (outH / 2),
    d: sin,
    e: cos,
    f: r.cy - sin * (outW / 2) - cos * (outH / 2),
  };
}

export interface WarpOptions {
  /** output value = pixel·scale + offset (per channel when arrays), e.g. 1/127.5 and −1 for [−1, 1] */
  scale?: number | readonly number[];
  offset?: number | readonly number[];
  /** write one grey channel (weights on R, G, B) instead of 3 */
  grey?: readonly [number, number, number];
  /** mirror the output horizontally (the iris model wants every eye as a right eye) */
  flip?: boolean;
  /** value of samples outside the frame, before scale/offset (default 0 = black) */
  border?: number;
}

const channelsOf = (o: WarpOptions) => (o.grey ? 1 : 3);

/** `m` preceded by a horizontal mirror of the `outW`-wide output (u → outW − u). */
export function flipAffine(m: Affine, outW: number): Affine {
  return { a: -m.a, b: m.b, c: m.c + m.a * outW, d: -m.d, e: m.e, f: m.f + m.d * outW };
}

/**
 * Samples `src` through `m` (crop → frame) into `out` (NHWC, `outW`·`outH`·channels floats starting at `outOffset`).
 * Returns `out`. Outside the frame the border value is used, so crops may reach past the edges.
 */
export function warpAffine(
  src: RgbFrame,
  m: Affine,
  outW: number,
  outH: number,
  opts: WarpOptions = {},
  out: Float32Array = new Float32Array(outW * outH * channelsOf(opts)),
  outOffset = 0,
): Float32Array {
  const sc = opts.scale ?? 1;
  const of = opts.offset ?? 0;
  const scale = typeof sc === 'number' ? [sc, sc, sc] : [sc[0], sc[1], sc[2]];
  const offset = typeof of === 'number' ? [of, of, of] : [of[0], of[1], of[2]];
  const t = opts.flip ? flipAffine(m, outW) : m;
  const border = opts.border ?? 0;
  const k = warpKernel();
  const wasm = k !== null && kernelFits(src);
  if (opts.grey) {
    const [r, g, b] = opts.grey;
    const [wr, wg, wb] = [r * scale[0], g * scale[0], b * scale[0]];
    if (wasm) wasmWarpGrey(k, src, t, outW, outH, wr, wg, wb, offset[0], border, out, outOffset);
    else warpGrey(src, t, outW, outH, wr, wg, wb, offset[0], border, out, outOffset);
  } else if (wasm) {
    wasmWarpRgb(k, src, t, outW, outH, scale, offset, border, out, outOffset);
  } else {
    warpRgb(src, t, outW, outH, scale, offset, border, out, outOffset);
  }
  return out;
}

/**
 * Bilinear sample of one pixel with out-of-frame corners taken as `border` (the slow path, only near edges).
 * Writes R, G, B into `px`.
 */
function sampleEdge(src: RgbFrame, sx: number, sy: number, border: number, px: Float64Array): void {
  const { width: W, height: H, rgb } = src;
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  px[0] = 0;
  px[1] = 0;
  px[2] = 0;
  for (let k = 0; k < 4; k++) {
    const xx = x0 + (k & 1);
    const yy = y0 + (k >> 1);
    const w = ((k & 1) === 1 ? fx : 1 - fx) * (k >> 1 === 1 ? fy : 1 - fy);
    if (xx >= 0 && yy >= 0 && xx < W && yy < H) {
      const i = (yy * W + xx) * 3;
      px[0] += rgb[i] * w;
      px[1] += rgb[i + 1] * w;
      px[2] += rgb[i + 2] * w;
    } else {
      px[0] += border * w;
      px[1] += border * w;
      px[2] += border * w;
    }
  }
}

// The two loops below are kept separate and flat (source position stepped incrementally along a row, no per-pixel
// option checks) because they run on every face of every frame (~2–4 ms of a tracking frame's ~10 here).
// Pixels are read as little-endian 32-bit words through a DataView: one unaligned read gives a pixel's R, G, B (and
// the next byte), 4 reads per sample instead of 12 byte loads: a 192² mesh crop 1.6 → 1.1 ms on the same shared
// machine, output bit-identical. The fast path stops one column early so the word read past the last pixel of the
// bottom row stays inside the buffer; the edge path samples that column.

function warpRgb(
  src: RgbFrame,
  m: Affine,
  outW: number,
  outH: number,
  scale: number[],
  offset: number[],
  border: number,
  out: Float32Array,
  outOffset: number,
): void {
  const { width: W, height: H, rgb } = src;
  const dv = new DataView(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  const xEnd = W - 2;
  const yEnd = H - 1;
  const [s0, s1, s2] = scale;
  const [o0, o1, o2] = offset;
  const row = W * 3;
  const px = new Float64Array(3);
  const { a, d } = m;
  let o = outOffset;
  for (let v = 0; v < outH; v++) {
    // source position (index space, pixel centres on integers) of output pixel centre (0.5, v + 0.5)
    let sx = a * 0.5 + m.b * (v + 0.5) + m.c - 0.5;
    let sy = d * 0.5 + m.e * (v + 0.5) + m.f - 0.5;
    for (let u = 0; u < outW; u++, sx += a, sy += d, o += 3) {
      // tested on the positions themselves and truncated with `| 0` only inside (where it equals floor): cheaper
      if (sx >= 0 && sy >= 0 && sx < xEnd && sy < yEnd) {
        const x0 = sx | 0;
        const y0 = sy | 0;
        const fx = sx - x0;
        const fy = sy - y0;
        const i00 = (y0 * W + x0) * 3;
        const i01 = i00 + row;
        const p00 = dv.getUint32(i00, true);
        const p10 = dv.getUint32(i00 + 3, true);
        const p01 = dv.getUint32(i01, true);
        const p11 = dv.getUint32(i01 + 3, true);
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        out[o] = ((p00 & 255) * w00 + (p10 & 255) * w10 + (p01 & 255) * w01 + (p11 & 255) * w11) * s0 + o0;
        out[o + 1] =
          (((p00 >> 8) & 255) * w00 + ((p10 >> 8) & 255) * w10 + ((p01 >> 8) & 255) * w01 + ((p11 >> 8) & 255) * w11) *
            s1 +
          o1;
        out[o + 2] =
          (((p00 >> 16) & 255) * w00 +
            ((p10 >> 16) & 255) * w10 +
            ((p01 >> 16) & 255) * w01 +
            ((p11 >> 16) & 255) * w11) *
            s2 +
          o2;
      } else if (sx < -1 || sy < -1 || sx >= W || sy >= H) {
        out[o] = border * s0 + o0;
        out[o + 1] = border * s1 + o1;
        out[o + 2] = border * s2 + o2;
      } else {
        sampleEdge(src, sx, sy, border, px);
        out[o] = px[0] * s0 + o0;
        out[o + 1] = px[1] * s1 + o1;
        out[o + 2] = px[2] * s2 + o2;
      }
    }
  }
}

function warpGrey(
  src: RgbFrame,
  m: Affine,
  outW: number,
  outH: number,
  wr: number,
  wg: number,
  wb: number,
  offset: number,
  border: number,
  out: Float32Array,
  outOffset: number,
): void {
  const { width: W, height: H, rgb } = src;
  const dv = new DataView(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  const xEnd = W - 2;
  const yEnd = H - 1;
  const row = W * 3;
  const px = new Float64Array(3);
  const { a, d } = m;
  let o = outOffset;
  for (let v = 0; v < outH; v++) {
    let sx = a * 0.5 + m.b * (v + 0.5) + m.c - 0.5;
    let sy = d * 0.5 + m.e * (v + 0.5) + m.f - 0.5;
    for (let u = 0; u < outW; u++, sx += a, sy += d, o++) {
      if (sx >= 0 && sy >= 0 && sx < xEnd && sy < yEnd) {
        const x0 = sx | 0;
        const y0 = sy | 0;
        const fx = sx - x0;
        const fy = sy - y0;
        const i00 = (y0 * W + x0) * 3;
        const i01 = i00 + row;
        const p00 = dv.getUint32(i00, true);
        const p10 = dv.getUint32(i00 + 3, true);
        const p01 = dv.getUint32(i01, true);
        const p11 = dv.getUint32(i01 + 3, true);
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        const r = (p00 & 255) * w00 + (p10 & 255) * w10 + (p01 & 255) * w01 + (p11 & 255) * w11;
        const g =
          ((p00 >> 8) & 255) * w00 + ((p10 >> 8) & 255) * w10 + ((p01 >> 8) & 255) * w01 + ((p11 >> 8) & 255) * w11;
        const b =
          ((p00 >> 16) & 255) * w00 + ((p10 >> 16) & 255) * w10 + ((p01 >> 16) & 255) * w01 + ((p11 >> 16) & 255) * w11;
        out[o] = r * wr + g * wg + b * wb + offset;
      } else if (sx < -1 || sy < -1 || sx >= W || sy >= H) {
        out[o] = border * (wr + wg + wb) + offset;
      } else {
        sampleEdge(src, sx, sy, border, px);
        out[o] = px[0] * wr + px[1] * wg + px[2] * wb + offset;
      }
    }
  }
}

/** ITU-R 601 luma weights, the ones Human uses for its emotion net's grey input. */
export const GREY_WEIGHTS: readonly [number, number, number] = [0.2989, 0.587, 0.114];

/**
 * Letterbox transform: the whole frame fitted, aspect kept, centred in a `size`×`sizeH` box (square by default;
 * padding outside). Detectors trained on undistorted faces see them undistorted this way.
 */
export function letterboxAffine(width: number, height: number, size: number, sizeH = size): Affine {
  const s = Math.max(width / size, height / sizeH);
  return { a: s, b: 0, c: (width - s * size) / 2, d: 0, e: s, f: (height - s * sizeH) / 2 };
}
