/**
 * The emotion head as an ONNX graph: utterance tokens U and context tokens C (each [Q, D], flattened) →
 *   logits = U·Wu + C·Wc + b → probs [8] (softmax, EMOTION_CLASSES order)
 *   (valence, arousal) = tanh(probs·vaP + U·vaWu + C·vaWc + vaB)        ∈ [−1, 1]
 *   confidence = sigmoid(a·(p_top1 − p_top2) + b)                          ∈ [0, 1]
 * The context-only reading of the event (`context` field) is the same head with C in both slots.
 */
import type * as ort from 'onnxruntime-node';
import { EMOTION_CLASSES, type EmotionClass, type EmotionProbs } from '../events/schema.ts';
import { f32, ModelGraph, sessionFromBytes } from './onnxBlocks.ts';
import { type ModelWeights, NUM_CLASSES } from './weights.ts';

export function buildHeadGraph(w: ModelWeights): Uint8Array {
  const m = new ModelGraph(
    'microemo_head',
    w,
    'utterance + context tokens → 8 probabilities, valence/arousal, confidence',
  );
  const g = m.g;
  const QD = w.options.queries * w.options.dModel;
  g.input('utt', 'float32', [w.options.queries, w.options.dModel]);
  g.input('ctx', 'float32', [w.options.queries, w.options.dModel]);
  const flat = g.constInt64('flat', [1, QD]);
  const u = g.op('Reshape', ['utt', flat]);
  const c = g.op('Reshape', ['ctx', flat]);
  const logits = g.op('Add', [g.op('Add', [m.linear(u, 'head.Wu'), m.linear(c, 'head.Wc')]), m.w('head.b')]);
  g.node('Softmax', [logits], ['probs'], { axis: -1 });
  const vaPre = g.op('Add', [
    g.op('Add', [m.linear('probs', 'head.vaP'), m.linear(u, 'head.vaWu')]),
    m.linear(c, 'head.vaWc', 'head.vaB'),
  ]);
  g.node('Tanh', [vaPre], ['va']);
  const [top] = g.node('TopK', ['probs', g.constInt64('k2', [2])], [g.name('top'), g.name('topi')], { axis: -1 });
  const p1 = g.op('Slice', [top, g.constInt64('a0', [0]), g.constInt64('a1', [1]), g.constInt64('ax1', [1])]);
  const p2 = g.op('Slice', [top, g.constInt64('b1', [1]), g.constInt64('b2', [2]), g.constInt64('ax2', [1])]);
  const conf = m.w('head.conf');
  const a = g.op('Slice', [conf, g.constInt64('c0', [0]), g.constInt64('c1', [1]), g.constInt64('cx', [0])]);
  const b = g.op('Slice', [conf, g.constInt64('d1', [1]), g.constInt64('d2', [2]), g.constInt64('dx', [0])]);
  g.node('Sigmoid', [g.op('Add', [g.op('Mul', [g.op('Sub', [p1, p2]), a]), b])], ['confidence']);
  g.output('probs', 'float32', [1, NUM_CLASSES]);
  g.output('va', 'float32', [1, 2]);
  g.output('confidence', 'float32', [1, 1]);
  return g.toBytes();
}

export interface HeadOutput {
  probs: Float32Array;
  valence: number;
  arousal: number;
  confidence: number;
}

export class EmotionHead {
  private constructor(
    readonly weights: ModelWeights,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(weights: ModelWeights): Promise<EmotionHead> {
    return new EmotionHead(weights, await sessionFromBytes(buildHeadGraph(weights)));
  }

  async run(utt: Float32Array, ctx: Float32Array): Promise<HeadOutput> {
    const { queries, dModel } = this.weights.options;
    const r = await this.session.run({ utt: f32(utt, [queries, dModel]), ctx: f32(ctx, [queries, dModel]) });
    const va = r.va.data as Float32Array;
    return {
      probs: (r.probs.data as Float32Array).slice(),
      valence: va[0],
      arousal: va[1],
      confidence: (r.confidence.data as Float32Array)[0],
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Probabilities as the event's record (rounded to 4 decimals, clamped). */
export function probsRecord(p: ArrayLike<number>): EmotionProbs {
  const out = {} as EmotionProbs;
  EMOTION_CLASSES.forEach((c, i) => {
    out[c] = Math.min(1, Math.max(0, Math.round(p[i] * 10000) / 10000));
  });
  return out;
}

export function argmaxClass(p: ArrayLike<number>): EmotionClass {
  let best = 0;
  for (let i = 1; i < NUM_CLASSES; i++) if (p[i] > p[best]) best = i;
  return EMOTION_CLASSES[best];
}
