/**
 * TensorFlow → ONNX weight layouts. TF stores convolution filters HWIO (depthwise: H, W, C, multiplier); ONNX Conv
 * wants OIHW (depthwise: C·M, 1, H, W with group = C, whose output order c·M + m matches TF's).
 */

export interface OnnxFilter {
  data: Float32Array;
  dims: [number, number, number, number];
  /** ONNX Conv `group` (C for depthwise, else 1). */
  group: number;
}

/** Permutes a TF conv filter of shape [kh, kw, cin, cm] to ONNX OIHW. */
export function hwioToOihw(src: Float32Array, shape: readonly number[], depthwise: boolean): OnnxFilter {
  const [kh, kw, cin, cm] = shape;
  if (shape.length !== 4 || kh * kw * cin * cm !== src.length) {
    throw new Error(`filter of shape [${shape.join(',')}] does not hold ${src.length} values`);
  }
  const cout = depthwise ? cin * cm : cm;
  const inPerGroup = depthwise ? 1 : cin;
  const w = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cm; o++) {
          const oc = depthwise ? i * cm + o : o;
          const ic = depthwise ? 0 : i;
          w[((oc * inPerGroup + ic) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cm + o];
        }
      }
    }
  }
  return { data: w, dims: [cout, inPerGroup, kh, kw], group: depthwise ? cin : 1 };
}

/** Transposes a row-major [rows, cols] matrix. */
export function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(src.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = src[i * cols + j];
  return t;
}
