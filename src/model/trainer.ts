/**
 * Training of the core model (encoder, Q-Former, head) on cached clip features with @tensorflow/tfjs: Adam on the
 * cross-entropy of each clip's duration-weighted span probabilities, plus an L2 pull towards the starting weights
 * (the training-free defaults by default), so a small data set fine-tunes the prior instead of replacing it. The
 * starting weights get a small seeded perturbation: attention's query/key matrices start at 0 in the defaults and
 * would otherwise receive no gradient.
 *
 * Also: a stratified, seeded validation split and leave-one-speaker-out folds. Deterministic for a seed (the CPU
 * backend computes in a fixed order).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { EMOTION_CLASSES } from '../events/schema.ts';
import type { ClipFeatures } from './coreModel.ts';
import { defaultWeights } from './defaultWeights.ts';
import { type ClassificationReport, classificationReport } from './metrics.ts';
import type { ModelOptionsInput } from './modelOptions.ts';
import { disposeClip, forwardClip, type PreparedClip, prepareClip, TfCoreModel, tfReady } from './tfModel.ts';
import { cloneWeights, type ModelWeights, mulberry32, paramSpecs } from './weights.ts';

export const trainOptionsSchema = z.object({
  epochs: z.number().int().min(1).default(40),
  learningRate: z.number().positive().default(3e-3),
  batchSize: z.number().int().min(1).default(8),
  /** fraction of clips per class held out for validation (0 = none) */
  valFraction: z.number().min(0).max(0.9).default(0.2),
  seed: z.number().int().default(1),
  /** weight of Σ (w − w_start)² */
  l2ToStart: z.number().min(0).default(1e-4),
  /** scale of the seeded perturbation of the starting matrices */
  perturb: z.number().min(0).default(0.01),
  /** run leave-one-speaker-out folds (needs ≥ 2 speakers) */
  loso: z.boolean().default(false),
});
export type TrainOptions = z.infer<typeof trainOptionsSchema>;
export type TrainOptionsInput = z.input<typeof trainOptionsSchema>;

export interface LabeledClip {
  features: ClipFeatures;
  /** index in EMOTION_CLASSES */
  label: number;
  speaker?: string;
}

export interface TrainResult {
  weights: ModelWeights;
  /** training-set accuracy after the last epoch */
  trainAccuracy: number;
  /** mean loss per epoch */
  losses: number[];
}

/** Stratified split: per class, a seeded shuffle, the first ⌈fraction·n⌉ to validation when the class has ≥ 2 clips. */
export function stratifiedSplit<T extends { label: number }>(
  items: readonly T[],
  fraction: number,
  seed: number,
): { train: T[]; val: T[] } {
  const rnd = mulberry32(seed);
  const train: T[] = [];
  const val: T[] = [];
  for (let c = 0; c < EMOTION_CLASSES.length; c++) {
    const of = items.filter((x) => x.label === c);
    for (let i = of.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [of[i], of[j]] = [of[j], of[i]];
    }
    const k = fraction > 0 && of.length >= 2 ? Math.min(of.length - 1, Math.ceil(fraction * of.length)) : 0;
    val.push(...of.slice(0, k));
    train.push(...of.slice(k));
  }
  return { train, val };
}

function perturbed(start: ModelWeights, scale: number, seed: number): ModelWeights {
  const w = cloneWeights(start);
  if (scale === 0) return w;
  const rnd = mulberry32(seed ^ 0x5eed);
  for (const s of paramSpecs(w.options)) {
    if (s.shape.length < 2) continue;
    const d = w.tensors.get(s.name)?.data;
    if (!d) continue;
    for (let i = 0; i < d.length; i++) d[i] += (rnd() - 0.5) * 2 * scale;
  }
  return w;
}

/** Trains from `start` (default: the training-free defaults) on the clips. */
export async function trainModel(
  clips: readonly LabeledClip[],
  opts: TrainOptionsInput = {},
  start?: ModelWeights | ModelOptionsInput,
  onEpoch?: (epoch: number, loss: number) => void,
): Promise<TrainResult> {
  await tfReady();
  const o = trainOptionsSchema.parse(opts);
  const startW =
    start && 'tensors' in start ? (start as ModelWeights) : defaultWeights((start as ModelOptionsInput) ?? {});
  const init = perturbed(startW, o.perturb, o.seed);
  const model = new TfCoreModel(init);
  const anchors = new Map<string, tf.Tensor>();
  for (const [k, v] of model.vars) anchors.set(k, tf.tensor(startW.tensors.get(k)?.data ?? v.dataSync(), v.shape));
  const prepared: { p: PreparedClip; label: number }[] = [];
  for (const c of clips) {
    const p = prepareClip(c.features, model.o);
    if (p) prepared.push({ p, label: c.label });
  }
  if (prepared.length === 0) throw new Error('no clip with a face to train on');
  const optimizer = tf.train.adam(o.learningRate);
  const rnd = mulberry32(o.seed);
  const losses: number[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = prepared.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let sum = 0;
    for (let b = 0; b < order.length; b += o.batchSize) {
      const batch = order.slice(b, b + o.batchSize).map((i) => prepared[i]);
      const { value, grads } = tf.variableGrads(() => {
        let loss = tf.scalar(0);
        for (const x of batch) {
          const probs = forwardClip(model, x.p).probs;
          loss = tf.add(loss, tf.neg(tf.log(tf.add(tf.sum(tf.slice(probs, [x.label], [1])), 1e-7)))) as tf.Scalar;
        }
        loss = tf.div(loss, batch.length) as tf.Scalar;
        if (o.l2ToStart > 0) {
          let reg = tf.scalar(0);
          for (const [k, v] of model.vars)
            reg = tf.add(reg, tf.sum(tf.square(tf.sub(v, anchors.get(k) as tf.Tensor)))) as tf.Scalar;
          loss = tf.add(loss, tf.mul(reg, o.l2ToStart)) as tf.Scalar;
        }
        return loss;
      });
      optimizer.applyGradients(grads as tf.NamedTensorMap as never);
      sum += (await value.data())[0] * batch.length;
      tf.dispose([value, ...Object.values(grads)]);
    }
    losses.push(sum / prepared.length);
    onEpoch?.(epoch, sum / prepared.length);
  }
  let correct = 0;
  for (const x of prepared) {
    const p = tf.tidy(() => forwardClip(model, x.p).probs.dataSync());
    if (argmax(p) === x.label) correct++;
  }
  const weights = model.toWeights({ kind: 'trained', epochs: o.epochs, clips: prepared.length, seed: o.seed });
  for (const x of prepared) disposeClip(x.p);
  tf.dispose([...anchors.values()]);
  model.dispose();
  optimizer.dispose();
  return { weights, trainAccuracy: correct / prepared.length, losses };
}

export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/** Class probabilities of clips under some weights, with the tfjs forward. */
export async function predictTf(
  weights: ModelWeights,
  clips: readonly ClipFeatures[],
): Promise<(Float32Array | null)[]> {
  await tfReady();
  const model = new TfCoreModel(weights);
  const out: (Float32Array | null)[] = [];
  for (const c of clips) {
    const p = prepareClip(c, model.o);
    if (!p) {
      out.push(null);
      continue;
    }
    out.push(tf.tidy(() => forwardClip(model, p).probs.dataSync() as Float32Array).slice());
    disposeClip(p);
  }
  model.dispose();
  return out;
}

export interface TrainReport {
  options: TrainOptions;
  clips: number;
  trainAccuracy: number;
  losses: number[];
  validation: ClassificationReport | null;
  /** leave-one-speaker-out: pooled metrics over the held-out predictions, and per-speaker accuracy */
  loso: { pooled: ClassificationReport; perSpeaker: Record<string, number> } | null;
  note?: string;
}

function report(truth: number[], preds: (Float32Array | null)[]): ClassificationReport {
  // a clip without a face counts as predicted neutral
  return classificationReport(
    truth,
    preds.map((p) => (p ? argmax(p) : 0)),
    EMOTION_CLASSES.length,
  );
}

/**
 * The `microemo train` procedure: validation split → train → validate; optional leave-one-speaker-out folds;
 * finally the weights written are trained on all clips.
 */
export async function trainWithReport(
  clips: readonly LabeledClip[],
  opts: TrainOptionsInput = {},
  modelOpts: ModelOptionsInput = {},
  log: (line: string) => void = () => {},
): Promise<{ weights: ModelWeights; report: TrainReport }> {
  const o = trainOptionsSchema.parse(opts);
  let validation: ClassificationReport | null = null;
  const notes: string[] = [];
  if (o.valFraction > 0) {
    const { train, val } = stratifiedSplit(clips, o.valFraction, o.seed);
    if (val.length > 0 && train.length > 0) {
      log(`validation split: ${train.length} train / ${val.length} validation clips`);
      const r = await trainModel(train, o, modelOpts);
      validation = report(
        val.map((v) => v.label),
        await predictTf(
          r.weights,
          val.map((v) => v.features),
        ),
      );
      log(`validation: accuracy ${validation.accuracy.toFixed(3)}, UAR ${validation.uar.toFixed(3)}`);
    } else notes.push('validation split skipped: no class has 2 clips');
  }
  let loso: TrainReport['loso'] = null;
  if (o.loso) {
    const speakers = [...new Set(clips.map((c) => c.speaker).filter((s): s is string => !!s))].sort();
    if (speakers.length >= 2) {
      const truth: number[] = [];
      const preds: (Float32Array | null)[] = [];
      const perSpeaker: Record<string, number> = {};
      for (const s of speakers) {
        const held = clips.filter((c) => c.speaker === s);
        const r = await trainModel(
          clips.filter((c) => c.speaker !== s),
          o,
          modelOpts,
        );
        const p = await predictTf(
          r.weights,
          held.map((h) => h.features),
        );
        truth.push(...held.map((h) => h.label));
        preds.push(...p);
        perSpeaker[s] = held.filter((h, i) => p[i] && argmax(p[i] as Float32Array) === h.label).length / held.length;
        log(`leave out ${s}: accuracy ${perSpeaker[s].toFixed(3)} on ${held.length} clips`);
      }
      loso = { pooled: report(truth, preds), perSpeaker };
    } else notes.push(`leave-one-speaker-out skipped: ${speakers.length} speaker(s) in labels.csv`);
  }
  const final = await trainModel(clips, o, modelOpts, (e, l) =>
    log(`epoch ${e + 1}/${o.epochs}: loss ${l.toFixed(4)}`),
  );
  return {
    weights: final.weights,
    report: {
      options: o,
      clips: clips.length,
      trainAccuracy: final.trainAccuracy,
      losses: final.losses,
      validation,
      loso,
      note: notes.length ? notes.join('; ') : undefined,
    },
  };
}
