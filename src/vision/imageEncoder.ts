/**
 * The optional whole-frame image encoder of the global branch: any ONNX model given by path (a CLIP/ViT/ResNet
 * image tower exported by the user; nothing is downloaded) whose embedding is appended to the global frame token
 * (src/model/tokens.ts GLOBAL layout, `imageEmbeddingDim` = this encoder's `dim`).
 *
 * Input contract: the model's first input is a float32 image tensor [1|N, 3, H, W] (NCHW) or [1|N, H, W, 3] (NHWC);
 * symbolic H/W are fed at `defaultSize`. The frame is resized to H×W (stretched: a whole-scene embedding keeps the
 * whole field of view), scaled to 0..1 and normalised by `mean`/`std` (default ImageNet's).
 * Output: the first output (or `output`), reduced to one vector per image: [N, C] as is; [N, C, h, w] averaged over
 * h, w (a CNN feature map); [N, T, C] its first token (a ViT's CLS token).
 */
import type { OrtModel, OrtSessionCache } from '../model/ortSession.ts';
import { type RgbFrame, warpAffine } from './imageOps.ts';
import { f32 } from './visionModels.ts';

export interface ImageEncoderOptions {
  /** size fed for symbolic H/W dims */
  defaultSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** output name (default: the first output) */
  output?: string;
}

export const defaultImageEncoderOptions: ImageEncoderOptions = {
  defaultSize: 224,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

export class ImageEncoderError extends Error {
  constructor(path: string, why: string) {
    super(`image encoder ${path}: ${why}`);
    this.name = 'ImageEncoderError';
  }
}

export class ImageEncoder {
  private constructor(
    private readonly model: OrtModel,
    private readonly layout: 'nchw' | 'nhwc',
    readonly height: number,
    readonly width: number,
    private readonly output: string,
    private readonly opts: ImageEncoderOptions,
    /** embedding width (found by a run at load) */
    readonly dim: number,
  ) {}

  static async load(
    cache: OrtSessionCache,
    path: string,
    options: Partial<ImageEncoderOptions> = {},
  ): Promise<ImageEncoder> {
    const opts = { ...defaultImageEncoderOptions, ...options };
    const model = await cache.get(path);
    const input = model.inputs[0];
    if (input?.shape.length !== 4) {
      throw new ImageEncoderError(path, `first input must be a 4-D image tensor, got ${JSON.stringify(input?.shape)}`);
    }
    if (input.type !== 'float32')
      throw new ImageEncoderError(path, `input ${input.name} must be float32, got ${input.type}`);
    const dim = (d: string | number) => (typeof d === 'number' && d > 0 ? d : opts.defaultSize);
    let layout: 'nchw' | 'nhwc';
    if (input.shape[1] === 3) layout = 'nchw';
    else if (input.shape[3] === 3) layout = 'nhwc';
    else throw new ImageEncoderError(path, `input ${input.name} ${JSON.stringify(input.shape)} has no 3-channel axis`);
    const [h, w] =
      layout === 'nchw' ? [dim(input.shape[2]), dim(input.shape[3])] : [dim(input.shape[1]), dim(input.shape[2])];
    const output = opts.output ?? model.outputNames[0];
    if (!model.outputNames.includes(output)) {
      throw new ImageEncoderError(path, `no output ${output} (outputs: ${model.outputNames.join(', ')})`);
    }
    const probe = new ImageEncoder(model, layout, h, w, output, opts, 0);
    const v = await probe.embed({ width: w, height: h, rgb: new Uint8Array(w * h * 3) });
    return new ImageEncoder(model, layout, h, w, output, opts, v.length);
  }

  /** The embedding of one frame. */
  async embed(frame: RgbFrame): Promise<Float32Array> {
    const { width: W, height: H } = this;
    const { mean, std } = this.opts;
    // corner-aligned: the first and last output pixel centres land on the frame's edge pixel centres, so no sample
    // falls outside the frame and the black border never bleeds into an upscaled edge
    const sx = W > 1 ? (frame.width - 1) / (W - 1) : 0;
    const sy = H > 1 ? (frame.height - 1) / (H - 1) : 0;
    const m = {
      a: sx,
      b: 0,
      c: W > 1 ? 0.5 - 0.5 * sx : frame.width / 2,
      d: 0,
      e: sy,
      f: H > 1 ? 0.5 - 0.5 * sy : frame.height / 2,
    };
    const nhwc = warpAffine(frame, m, W, H, {
      scale: [1 / (255 * std[0]), 1 / (255 * std[1]), 1 / (255 * std[2])],
      offset: [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]],
    });
    let data = nhwc;
    let dims = [1, H, W, 3];
    if (this.layout === 'nchw') {
      data = new Float32Array(nhwc.length);
      const plane = W * H;
      for (let i = 0; i < plane; i++) {
        data[i] = nhwc[i * 3];
        data[plane + i] = nhwc[i * 3 + 1];
        data[2 * plane + i] = nhwc[i * 3 + 2];
      }
      dims = [1, 3, H, W];
    }
    const out = await this.model.run({ [this.model.inputNames[0]]: f32(data, dims) });
    return reduceEmbedding(out[this.output].data as Float32Array, out[this.output].dims as readonly number[]);
  }
}

/** One vector from an output tensor of one image (see the module comment). */
export function reduceEmbedding(data: Float32Array, dims: readonly number[]): Float32Array {
  if (dims.length <= 2) return Float32Array.from(data);
  if (dims.length === 3) return Float32Array.from(data.subarray(0, dims[2]));
  if (dims.length === 4) {
    const [, c, h, w] = dims;
    const out = new Float32Array(c);
    const n = h * w;
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += data[k * n + i];
      out[k] = s / n;
    }
    return out;
  }
  throw new Error(`image encoder output of rank ${dims.length} is not supported`);
}
