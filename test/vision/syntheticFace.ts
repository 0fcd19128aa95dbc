/**
 * A synthetic 468-point mesh in frame pixels with the landmarks the AU/region code reads placed at face-like
 * positions (inter-ocular units, subject's right eye on the image left), plus deterministic jitter, and helpers to
 * inject expressions, blinks and head turns. Points not read by the code sit on a grid over the face.
 */
import { MESH_POINTS } from '../../src/vision/faceMesh.ts';

type P = [number, number, number?];
const L: Record<number, P> = {
  33: [-0.75, 0],
  133: [-0.25, 0],
  362: [0.25, 0],
  263: [0.75, 0],
  10: [0, -0.9],
  168: [0, -0.05],
  107: [-0.2, -0.3],
  55: [-0.2, -0.25],
  336: [0.2, -0.3],
  285: [0.2, -0.25],
  70: [-0.8, -0.3],
  46: [-0.8, -0.25],
  300: [0.8, -0.3],
  276: [0.8, -0.25],
  63: [-0.65, -0.33],
  105: [-0.5, -0.35],
  66: [-0.35, -0.33],
  65: [-0.35, -0.27],
  52: [-0.5, -0.28],
  53: [-0.65, -0.27],
  293: [0.65, -0.33],
  334: [0.5, -0.35],
  296: [0.35, -0.33],
  295: [0.35, -0.27],
  282: [0.5, -0.28],
  283: [0.65, -0.27],
  159: [-0.5, -0.08],
  145: [-0.5, 0.08],
  158: [-0.4, -0.07],
  153: [-0.4, 0.07],
  160: [-0.6, -0.07],
  144: [-0.6, 0.07],
  386: [0.5, -0.08],
  374: [0.5, 0.08],
  385: [0.4, -0.07],
  380: [0.4, 0.07],
  387: [0.6, -0.07],
  373: [0.6, 0.07],
  50: [-0.55, 0.45],
  280: [0.55, 0.45],
  1: [0, 0.65, -0.4],
  4: [0, 0.6, -0.35],
  5: [0, 0.5, -0.3],
  6: [0, 0.15, -0.1],
  98: [-0.18, 0.7, -0.1],
  327: [0.18, 0.7, -0.1],
  48: [-0.15, 0.65, -0.1],
  278: [0.15, 0.65, -0.1],
  129: [-0.16, 0.6, -0.1],
  358: [0.16, 0.6, -0.1],
  61: [-0.4, 1.1],
  291: [0.4, 1.1],
  0: [0, 1.0],
  13: [0, 1.07],
  14: [0, 1.1],
  17: [0, 1.2],
  37: [-0.12, 1.01],
  267: [0.12, 1.01],
  84: [-0.12, 1.19],
  314: [0.12, 1.19],
  78: [-0.33, 1.1],
  308: [0.33, 1.1],
  152: [0, 1.6],
  148: [-0.25, 1.55],
  377: [0.25, 1.55],
  176: [-0.35, 1.5],
  400: [0.35, 1.5],
  199: [0, 1.45],
  175: [0, 1.55],
};

/** Neutral mesh in inter-ocular units (x, y, z), eye midpoint at 0. */
export function neutralUnitMesh(): Float32Array {
  const m = new Float32Array(MESH_POINTS * 3);
  for (let i = 0; i < MESH_POINTS; i++) {
    m[3 * i] = ((i % 22) / 21 - 0.5) * 1.8;
    m[3 * i + 1] = (Math.floor(i / 22) / 21) * 2.6 - 0.9;
    m[3 * i + 2] = 0;
  }
  for (const [k, [x, y, z]] of Object.entries(L)) {
    const i = Number(k);
    m[3 * i] = x;
    m[3 * i + 1] = y;
    m[3 * i + 2] = z ?? 0;
  }
  return m;
}

/** Deterministic pseudo-random in [−1, 1]. */
function rnd(seed: number): number {
  const s = Math.sin(seed * 12.9898 + 78.233) * 43758.5453;
  return (s - Math.floor(s)) * 2 - 1;
}

export interface FrameSpec {
  /** per-landmark offsets (unit mesh) applied before the pose */
  offsets?: Record<number, [number, number]>;
  /** rotation about the vertical axis, degrees */
  yaw?: number;
}

/** Unit mesh → frame pixels: jitter, offsets, a 3-D yaw, then scale 60 px/IOD at (320, 240). */
export function toFrame(unit: Float32Array, frame: number, spec: FrameSpec = {}, jitter = 0.002): Float32Array {
  const out = new Float32Array(unit.length);
  const th = ((spec.yaw ?? 0) * Math.PI) / 180;
  const c = Math.cos(th);
  const s = Math.sin(th);
  for (let i = 0; i < MESH_POINTS; i++) {
    let x = unit[3 * i] + jitter * rnd(frame * 1000 + i * 3);
    let y = unit[3 * i + 1] + jitter * rnd(frame * 1000 + i * 3 + 1);
    const z = unit[3 * i + 2];
    const o = spec.offsets?.[i];
    if (o) {
      x += o[0];
      y += o[1];
    }
    const xr = x * c + z * s;
    const zr = -x * s + z * c;
    out[3 * i] = 320 + 60 * xr;
    out[3 * i + 1] = 240 + 60 * y;
    out[3 * i + 2] = 60 * zr;
  }
  return out;
}

/** Triangle/trapezoid envelope 0..1: rises over `ramp` frames from `start`, holds, falls to 0 at `start + len`. */
export function envelope(frame: number, start: number, len: number, ramp: number): number {
  const k = frame - start;
  if (k <= 0 || k >= len) return 0;
  return Math.min(1, k / ramp, (len - k) / ramp);
}

export function browLower(a: number): Record<number, [number, number]> {
  return {
    107: [0.025 * a, 0.05 * a],
    55: [0.025 * a, 0.05 * a],
    336: [-0.025 * a, 0.05 * a],
    285: [-0.025 * a, 0.05 * a],
  };
}

export function smile(a: number): Record<number, [number, number]> {
  return { 61: [-0.03 * a, -0.05 * a], 291: [0.03 * a, -0.05 * a], 50: [0, -0.03 * a], 280: [0, -0.03 * a] };
}

export function blink(a: number): Record<number, [number, number]> {
  const d = 0.15 * a;
  return {
    159: [0, d],
    158: [0, d * 0.9],
    160: [0, d * 0.9],
    386: [0, d],
    385: [0, d * 0.9],
    387: [0, d * 0.9],
  };
}
