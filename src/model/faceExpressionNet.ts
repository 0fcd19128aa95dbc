/**
 * @vladmandic/face-api's faceExpressionNet as an ONNX graph.
 *
 * face-api ships only a weight map (uint8 with scale/min); the network lives in its code
 * (src/faceFeatureExtractor/FaceFeatureExtractor.ts, denseBlock.ts, faceProcessor/FaceProcessor.ts). This file
 * re-states that forward pass with ONNX ops so it runs on onnxruntime:
 *   x (N,112,112,3 RGB 0..255) → (x − meanRgb) / 255 → 4 dense blocks → avgPool 7×7 (= global mean on 7×7)
 *   → 256-d features → fc 256×7 → softmax.
 * A dense block: out1 = relu(conv0 stride 2); out2 = sep(out1); out3 = sep(relu(out1+out2));
 * out4 = sep(relu(out1+out2+out3)); relu(out1+out2+out3+out4). conv0 of the first block is a plain 3×3 conv,
 * every other conv a depthwise-separable 3×3 (depthwise, then pointwise 1×1 + bias), padding SAME.
 *
 * Written for onnxruntime's CPU kernels (same function, ~0.5 ms less per face than the literal transcription):
 * - the mean is subtracted after the NHWC → NCHW transpose, as a [1,3,1,1] constant: broadcasting a 3-wide last axis
 *   ran element by element (~0.3 ms for one 112×112 face), per-channel planes are contiguous spans;
 * - the division by 255 is folded into conv0's filter (conv is linear and SAME pads with zeros either way);
 * - the block's sums are running sums (s2 = out1+out2, s3 = s2+out3, s4 = s3+out4): 3 Adds per block instead of 6,
 *   each right after a pointwise conv, which onnxruntime fuses into the conv. Only the float summation order
 *   changes (parity with face-api on tfjs is unchanged at ~1e-6).
 */
import { readFileSync } from 'node:fs';
import { GraphBuilder } from './graphBuilder.ts';
import { hwioToOihw } from './layout.ts';
import type { TensorInfo } from './tfjsConverter.ts';
import { decodeWeights, type TfjsWeightsGroup, type WeightMap } from './tfjsWeights.ts';

/** Output order of the 7 classes (face-api's FACE_EXPRESSION_LABELS). */
export const FACE_EXPRESSION_LABELS = [
  'neutral',
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgusted',
  'surprised',
] as const;

/** face-api subtracts this per-channel mean (RGB, 0..255) before dividing by 255. */
const MEAN_RGB = [122.782, 117.001, 104.298];
const INPUT_SIZE = 112;

export interface FaceExpressionNetModel {
  bytes: Uint8Array;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

/** Reads face-api's weights manifest and its .bin shards (paths relative to the manifest). */
export function loadFaceApiWeights(manifestPath: string): WeightMap {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as TfjsWeightsGroup[];
  const dir = manifestPath.slice(0, manifestPath.lastIndexOf('/') + 1);
  const groups = manifest.map((g) => new Uint8Array(Buffer.concat(g.paths.map((p) => readFileSync(dir + p)))));
  return decodeWeights(manifest, groups);
}

class NetBuilder {
  constructor(
    readonly g: GraphBuilder,
    private readonly w: WeightMap,
  ) {}

  private weight(name: string) {
    const t = this.w.get(name);
    if (t?.dtype !== 'float32') throw new Error(`faceExpressionNet: weight ${name} missing from the manifest`);
    return t;
  }

  private conv(
    x: string,
    filterName: string,
    biasName: string | null,
    stride: number,
    depthwise: boolean,
    filterScale = 1,
  ): string {
    const f = this.weight(filterName);
    const oihw = hwioToOihw(f.data as Float32Array, f.shape, depthwise);
    if (filterScale !== 1) for (let i = 0; i < oihw.data.length; i++) oihw.data[i] *= filterScale;
    const inputs = [x, this.g.initializer(`${filterName}/oihw`, oihw.data, oihw.dims)];
    if (biasName) inputs.push(this.g.initializer(biasName, this.weight(biasName).data as Float32Array, [oihw.dims[0]]));
    // face-api uses padding 'same': like TF, the odd pixel of padding goes at the end (SAME_UPPER)
    return this.g.op(
      'Conv',
      inputs,
      {
        auto_pad: 'SAME_UPPER',
        strides: [stride, stride],
        kernel_shape: [oihw.dims[2], oihw.dims[3]],
        group: oihw.group,
      },
      filterName.replace(/\/[^/]+$/, ''),
    );
  }

  private separable(x: string, prefix: string, stride: number): string {
    const dw = this.conv(x, `${prefix}/depthwise_filter`, null, stride, true);
    return this.conv(dw, `${prefix}/pointwise_filter`, `${prefix}/bias`, 1, false);
  }

  /** `inputScale` multiplies the block's input (folded into the first block's plain conv only). */
  denseBlock(x: string, prefix: string, first: boolean, inputScale = 1): string {
    const g = this.g;
    if (!first && inputScale !== 1) throw new Error('faceExpressionNet: input scale folds into the first block only');
    const c0 = first
      ? this.conv(x, `${prefix}/conv0/filters`, `${prefix}/conv0/bias`, 2, false, inputScale)
      : this.separable(x, `${prefix}/conv0`, 2);
    const out1 = g.op('Relu', [c0]);
    // running sums (see the header): Add(conv output, earlier sum) lets onnxruntime fuse the Add into the conv
    const s2 = g.op('Add', [this.separable(out1, `${prefix}/conv1`, 1), out1]);
    const out3 = this.separable(g.op('Relu', [s2]), `${prefix}/conv2`, 1);
    const s3 = g.op('Add', [out3, s2]);
    const out4 = this.separable(g.op('Relu', [s3]), `${prefix}/conv3`, 1);
    return g.op('Relu', [g.op('Add', [out4, s3])], {}, `${prefix}/out`);
  }

  fc(x: string): string {
    const w = this.weight('fc/weights');
    const b = this.weight('fc/bias');
    const mm = this.g.op('MatMul', [x, this.g.initializer('fc/weights', w.data as Float32Array, w.shape)]);
    return this.g.op('Add', [mm, this.g.initializer('fc/bias', b.data as Float32Array, b.shape)], {}, 'fc');
  }
}

/**
 * Builds the ONNX graph. Input `input` [batch,112,112,3] float RGB in 0..255 (NHWC, as face-api feeds tfjs).
 * Outputs: `probs` [batch,7] softmax, `logits` [batch,7], `embedding` [batch,256] pooled features.
 */
export function buildFaceExpressionNet(weights: WeightMap): FaceExpressionNetModel {
  const g = new GraphBuilder('faceexpression', {
    docString: `face-api faceExpressionNet; classes: ${FACE_EXPRESSION_LABELS.join(',')}`,
  });
  const net = new NetBuilder(g, weights);
  const inputs: TensorInfo[] = [{ name: 'input', dtype: 'float32', shape: ['batch', INPUT_SIZE, INPUT_SIZE, 3] }];
  g.input('input', 'float32', inputs[0].shape ?? []);
  const nchw = g.op('Transpose', ['input'], { perm: [0, 3, 1, 2] }, 'nchw');
  let x = g.op('Sub', [nchw, g.constFloat('mean_rgb', MEAN_RGB, [1, 3, 1, 1])]);
  // (x − mean) / 255: the division is folded into the first conv's filter
  x = net.denseBlock(x, 'dense0', true, 1 / 255);
  x = net.denseBlock(x, 'dense1', false);
  x = net.denseBlock(x, 'dense2', false);
  x = net.denseBlock(x, 'dense3', false);
  // avgPool 7×7 stride 2 'valid' on the 7×7 map is a single window: the global mean
  const pooled = g.op('GlobalAveragePool', [x]);
  g.node('Flatten', [pooled], ['embedding'], { axis: 1 });
  g.node('Identity', [net.fc('embedding')], ['logits']);
  g.node('Softmax', ['logits'], ['probs'], { axis: -1 });
  const outputs: TensorInfo[] = [
    { name: 'probs', dtype: 'float32', shape: ['batch', 7] },
    { name: 'logits', dtype: 'float32', shape: ['batch', 7] },
    { name: 'embedding', dtype: 'float32', shape: ['batch', 256] },
  ];
  for (const o of outputs) g.output(o.name, o.dtype, o.shape);
  return { bytes: g.toBytes(), inputs, outputs };
}
