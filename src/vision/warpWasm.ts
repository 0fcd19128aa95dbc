/**
 * The WebAssembly SIMD kernel behind imageOps' `warpAffine` (source: warpKernel.wat beside this file), and the
 * frame residency it needs.
 *
 * Why WebAssembly: the JS loops cost ~18–30 ns per output pixel, 15–20 % of a vision worker's CPU; this kernel does
 * two pixels per step in f64x2 lanes and is several times faster (numbers in the commit that added it), while its
 * output is bit-identical to the JS (same f64 expressions in the same order, see the .wat), so switching between the
 * two changes nothing downstream and the JS loops stay as the fallback and the tests' reference.
 *
 * Why a .wat assembled by `wabt` at load time: the source we keep is the readable text format, assembled by the
 * WebAssembly group's own assembler (the `wabt` npm package, its C++ tools compiled to wasm; ~35 ms to load and
 * assemble, once per process, off the first frames' path since they take the JS loops meanwhile). No committed
 * binary, no build step that can go stale (a postinstall-built .wasm could silently lag an edited .wat), and no
 * hand-written binary encoder (AssemblyScript/emscripten would need a compiler toolchain and its output is no
 * easier to hold bit-identical to the JS than hand-written SIMD text).
 *
 * Frames: the kernel reads the frame from its own linear memory, so the pixels are copied in. A frame's buffer is
 * reused by its owner for later frames (vision workers send it back for the next one), so neither the Uint8Array
 * nor its ArrayBuffer identifies the pixels: only the caller knows how long they stay put. Hence:
 * - `pinFrame(frame)` (the frame analyser's per-frame scope) promises the pixels stay unchanged until its release is
 *   called: the first warp of a pinned frame copies it whole into a slot of its own, every later warp of that frame
 *   reads the copy (once per frame however many crops; frames of streams analysed concurrently keep separate slots);
 * - any other warp copies just the source rows its crop can touch (always correct, no state between calls).
 * Memory only grows when a frame or output larger than any before needs room (slots are reused after release).
 */
import { readFileSync } from 'node:fs';
import wabt from 'wabt';
import type { Affine, RgbFrame } from './imageOps.ts';

interface KernelExports {
  memory: WebAssembly.Memory;
  warp_rgb(
    src: number,
    W: number,
    H: number,
    out: number,
    outW: number,
    outH: number,
    a: number,
    b: number,
    c: number,
    d: number,
    e: number,
    f: number,
    s0: number,
    s1: number,
    s2: number,
    o0: number,
    o1: number,
    o2: number,
    border: number,
  ): void;
  warp_grey(
    src: number,
    W: number,
    H: number,
    out: number,
    outW: number,
    outH: number,
    a: number,
    b: number,
    c: number,
    d: number,
    e: number,
    f: number,
    wr: number,
    wg: number,
    wb: number,
    offset: number,
    border: number,
  ): void;
}

const WAT_URL = new URL('./warpKernel.wat', import.meta.url);

let kernel: KernelExports | null = null;
let loading: Promise<boolean> | null = null;
/** set by `setWarpBackend('js')`: warps take the JS loops even with the kernel loaded */
let forceJs = false;

async function load(): Promise<boolean> {
  try {
    const tools = await wabt();
    const mod = tools.parseWat('warpKernel.wat', readFileSync(WAT_URL, 'utf8'), { simd: true, multi_value: true });
    let bytes: Uint8Array;
    try {
      mod.validate();
      bytes = mod.toBinary({}).buffer;
    } finally {
      mod.destroy();
    }
    // throws where WebAssembly SIMD is not supported: the JS loops stay in use
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
    kernel = instance.exports as unknown as KernelExports;
    return true;
  } catch (err) {
    process.emitWarning(`warpAffine: WebAssembly SIMD kernel unavailable, using the JS loops (${String(err)})`);
    return false;
  }
}

/**
 * Loads the kernel (once; later calls return the same promise). Resolves true when warps will use it. Warps start
 * it themselves on first use and take the JS loops until it is ready (identical results either way).
 */
export function warpKernelReady(): Promise<boolean> {
  loading ??= load();
  return loading;
}

/** Selects the implementation ('wasm' = the kernel once loaded): for benchmarks and tests. */
export function setWarpBackend(backend: 'wasm' | 'js'): void {
  forceJs = backend === 'js';
}

/** The kernel, if loaded and selected; starts loading it otherwise. */
export function warpKernel(): KernelExports | null {
  if (kernel) return forceJs ? null : kernel;
  void warpKernelReady();
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Linear memory: a bump allocator over regions that are only ever reused, never freed back.

interface Region {
  ptr: number;
  cap: number;
}

/** bytes below 1024 hold the kernel's constants and per-call vectors (see warpKernel.wat) */
let top = 1024;
let bytesView: Uint8Array | null = null;
let floatsView: Float32Array | null = null;

function alloc(k: KernelExports, bytes: number): Region {
  const cap = Math.ceil(bytes / 64) * 64 + 64;
  const ptr = top;
  top += cap;
  const need = top - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  return { ptr, cap };
}

function u8(k: KernelExports): Uint8Array {
  if (!bytesView || bytesView.buffer !== k.memory.buffer) bytesView = new Uint8Array(k.memory.buffer);
  return bytesView;
}

function f32(k: KernelExports): Float32Array {
  if (!floatsView || floatsView.buffer !== k.memory.buffer) floatsView = new Float32Array(k.memory.buffer);
  return floatsView;
}

/** Output scratch; grows (a new, larger region) only for an output larger than any before. */
let outRegion: Region | null = null;
/** Rows of unpinned frames. */
let scratch: Region | null = null;

interface Slot extends Region {
  /** the pinned frame whose pixels the slot holds, or null while free */
  owner: Uint8Array | null;
}
const slots: Slot[] = [];

interface Pin {
  count: number;
  slot: Slot | null;
  /** bytes copied into the slot */
  bytes: number;
}
const pins = new Map<Uint8Array, Pin>();

/**
 * Declares that `frame`'s pixels stay unchanged until the returned release is called: warps of it then share one
 * copy in wasm memory. Nested pins of the same frame are fine; each release must be called once.
 */
export function pinFrame(frame: RgbFrame): () => void {
  const key = frame.rgb;
  let pin = pins.get(key);
  if (!pin) {
    pin = { count: 0, slot: null, bytes: 0 };
    pins.set(key, pin);
  }
  pin.count++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const p = pins.get(key);
    if (!p || --p.count > 0) return;
    pins.delete(key);
    if (p.slot) p.slot.owner = null;
  };
}

/**
 * Runs `f` with `frame` pinned (`pinFrame`) and releases it however `f` ends: for a per-frame scope that takes
 * several crops of one frame. Scopes nest (the frame analyser's around the face stack's).
 */
export async function withPinnedFrame<T>(frame: RgbFrame, f: () => Promise<T>): Promise<T> {
  const release = pinFrame(frame);
  try {
    return await f();
  } finally {
    release();
  }
}

/** Frames copied into wasm memory so far (whole pinned frames and row ranges of unpinned ones): for tests. */
export const frameCopies = { whole: 0, rows: 0 };

/**
 * Byte offset in wasm memory of `src`'s pixels, with at least the rows that output centres mapped through `m` can
 * sample present. `m` is crop → frame (as the kernel steps it), outputs `outW`×`outH`.
 */
function residentFrame(k: KernelExports, src: RgbFrame, m: Affine, outW: number, outH: number): number {
  const { width: W, height: H, rgb } = src;
  const n = W * H * 3;
  const pin = pins.get(rgb);
  // (a pinned buffer warped with other dimensions than its first warp takes the row copy)
  if (pin && (!pin.slot || pin.bytes === n)) {
    if (!pin.slot) {
      let slot = slots.find((s) => s.owner === null && s.cap >= n);
      if (!slot) {
        slot = { ...alloc(k, n), owner: null };
        slots.push(slot);
      }
      slot.owner = rgb;
      pin.slot = slot;
      pin.bytes = n;
      u8(k).set(rgb.subarray(0, n), slot.ptr);
      frameCopies.whole++;
    }
    return pin.slot.ptr;
  }
  if (!scratch || scratch.cap < n) scratch = alloc(k, n);
  // source rows reached: sample centres (u + 0.5, v + 0.5) for u in [0, outW), v in [0, outH) lie in the hull of the
  // four corner centres; bilinear reads rows floor(y) and floor(y) + 1 (y in index space, −0.5); 2 rows of margin
  // cover the kernel's incremental stepping
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const u of [0.5, outW - 0.5]) {
    for (const v of [0.5, outH - 0.5]) {
      const y = m.d * u + m.e * v + m.f - 0.5;
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
  }
  let y0 = Math.max(0, Math.floor(lo) - 2);
  let y1 = Math.min(H, Math.floor(hi) + 4);
  if (!(y0 <= y1)) {
    // NaN in the transform: copy everything
    y0 = 0;
    y1 = H;
  }
  if (y1 > y0) {
    u8(k).set(rgb.subarray(y0 * W * 3, y1 * W * 3), scratch.ptr + y0 * W * 3);
    frameCopies.rows++;
  }
  return scratch.ptr;
}

function outputRegion(k: KernelExports, floats: number): number {
  if (!outRegion || outRegion.cap < floats * 4) outRegion = alloc(k, floats * 4);
  return outRegion.ptr;
}

/** Copies the kernel's output to `out` at `outOffset`; what does not fit is dropped, as the JS loops' stores are. */
function copyOut(k: KernelExports, optr: number, n: number, out: Float32Array, outOffset: number): void {
  const fit = Math.min(n, out.length - outOffset);
  if (fit > 0) out.set(f32(k).subarray(optr >> 2, (optr >> 2) + fit), outOffset);
}

/** Whether the kernel can take `src` (the JS loops handle, or reject, anything else as before). */
export function kernelFits(src: RgbFrame): boolean {
  const { width: W, height: H } = src;
  return (
    Number.isInteger(W) && Number.isInteger(H) && W > 0 && H > 0 && W * H * 3 <= src.rgb.length && W * H <= 2 ** 28
  );
}

/** warpRgb of imageOps.ts on the kernel (same arguments, same results to the bit). */
export function wasmWarpRgb(
  k: KernelExports,
  src: RgbFrame,
  m: Affine,
  outW: number,
  outH: number,
  scale: readonly number[],
  offset: readonly number[],
  border: number,
  out: Float32Array,
  outOffset: number,
): void {
  const n = outW * outH * 3;
  const optr = outputRegion(k, n);
  const sptr = residentFrame(k, src, m, outW, outH);
  k.warp_rgb(
    sptr,
    src.width,
    src.height,
    optr,
    outW,
    outH,
    m.a,
    m.b,
    m.c,
    m.d,
    m.e,
    m.f,
    scale[0],
    scale[1],
    scale[2],
    offset[0],
    offset[1],
    offset[2],
    border,
  );
  copyOut(k, optr, n, out, outOffset);
}

/** warpGrey of imageOps.ts on the kernel (same arguments, same results to the bit). */
export function wasmWarpGrey(
  k: KernelExports,
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
  const n = outW * outH;
  const optr = outputRegion(k, n);
  const sptr = residentFrame(k, src, m, outW, outH);
  k.warp_grey(sptr, src.width, src.height, optr, outW, outH, m.a, m.b, m.c, m.d, m.e, m.f, wr, wg, wb, offset, border);
  copyOut(k, optr, n, out, outOffset);
}
