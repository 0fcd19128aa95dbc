/**
 * The core model's parameters: names, shapes, and the weights file format.
 *
 * Parameters (D = dModel, F = ffnDim, Q = queries, G = global input dim, l = layer index):
 *   proj.local.W [564, D]  proj.local.b [D]      proj.global.W [G, D]  proj.global.b [D]
 *   proj.prosody.W [8, D]  proj.prosody.b [D]
 *   enc.l.Wq/Wk/Wv/Wo [D, D]  enc.l.bo [D]  enc.l.W1 [D, F]  enc.l.b1 [F]  enc.l.W2 [F, D]  enc.l.b2 [D]
 *   qf.queries [Q, D]   qf.l.* as enc.l.*
 *   head.Wu [Q·D, 8]  head.Wc [Q·D, 8]  head.b [8]          (class logits from utterance + context tokens)
 *   head.vaP [8, 2]  head.vaWu [Q·D, 2]  head.vaWc [Q·D, 2]  head.vaB [2]   (tanh → valence, arousal)
 *   head.conf [2]   (a, b: confidence = sigmoid(a · (p_top1 − p_top2) + b))
 * Matrices are row-major [in, out]: y = x · W + b.
 *
 * File format (`--weights <file>`): UTF-8 JSON
 *   { "format": "microemo-weights", "version": 1, "options": <ModelOptions>, "meta": {…free-form…},
 *     "tensors": { "<name>": { "shape": [..], "data": "<base64 of little-endian float32>" }, … } }
 * Every parameter above must be present with its shape; the options fix the shapes (a file whose proj.local.W has
 * the 563 rows of the local token before its asymmetry input loads with a zero row appended).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type ModelOptions, type ModelOptionsInput, modelOptions } from './modelOptions.ts';
import { globalInputDim, LOCAL_INPUT_DIM, PROSODY_INPUT_DIM } from './tokens.ts';

export const NUM_CLASSES = 8;
/** local input width of weights files written before the lip-corner asymmetry input (tokens.ts) was added */
const LOCAL_INPUT_DIM_V1 = 563;
export const WEIGHTS_FORMAT = 'microemo-weights';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface ModelWeights {
  options: ModelOptions;
  tensors: Map<string, Tensor>;
  meta?: Record<string, unknown>;
}

/** Name → shape of every parameter, in a fixed order. */
export function paramSpecs(o: ModelOptions): { name: string; shape: number[] }[] {
  const D = o.dModel;
  const F = o.ffnDim;
  const QD = o.queries * D;
  const specs: { name: string; shape: number[] }[] = [
    { name: 'proj.local.W', shape: [LOCAL_INPUT_DIM, D] },
    { name: 'proj.local.b', shape: [D] },
    { name: 'proj.global.W', shape: [globalInputDim(o), D] },
    { name: 'proj.global.b', shape: [D] },
    { name: 'proj.prosody.W', shape: [PROSODY_INPUT_DIM, D] },
    { name: 'proj.prosody.b', shape: [D] },
  ];
  const block = (p: string) => {
    for (const m of ['Wq', 'Wk', 'Wv', 'Wo']) specs.push({ name: `${p}.${m}`, shape: [D, D] });
    specs.push({ name: `${p}.bo`, shape: [D] });
    specs.push({ name: `${p}.W1`, shape: [D, F] }, { name: `${p}.b1`, shape: [F] });
    specs.push({ name: `${p}.W2`, shape: [F, D] }, { name: `${p}.b2`, shape: [D] });
  };
  for (let l = 0; l < o.encoderLayers; l++) block(`enc.${l}`);
  specs.push({ name: 'qf.queries', shape: [o.queries, D] });
  for (let l = 0; l < o.qformerLayers; l++) block(`qf.${l}`);
  specs.push(
    { name: 'head.Wu', shape: [QD, NUM_CLASSES] },
    { name: 'head.Wc', shape: [QD, NUM_CLASSES] },
    { name: 'head.b', shape: [NUM_CLASSES] },
    { name: 'head.vaP', shape: [NUM_CLASSES, 2] },
    { name: 'head.vaWu', shape: [QD, 2] },
    { name: 'head.vaWc', shape: [QD, 2] },
    { name: 'head.vaB', shape: [2] },
    { name: 'head.conf', shape: [2] },
  );
  return specs;
}

export function zeroWeights(input: ModelOptionsInput | ModelOptions = {}): ModelWeights {
  const options = modelOptions(input);
  const tensors = new Map<string, Tensor>();
  for (const s of paramSpecs(options)) {
    tensors.set(s.name, { shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) });
  }
  return { options, tensors };
}

export function param(w: ModelWeights, name: string): Tensor {
  const t = w.tensors.get(name);
  if (!t) throw new Error(`weights have no parameter ${name}`);
  return t;
}

function b64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/** The weights as the JSON file text (deterministic: fixed parameter order, no timestamps unless in meta). */
export function serializeWeights(w: ModelWeights): string {
  const tensors: Record<string, { shape: number[]; data: string }> = {};
  for (const s of paramSpecs(w.options)) {
    const t = param(w, s.name);
    tensors[s.name] = { shape: t.shape, data: b64(t.data) };
  }
  return JSON.stringify({ format: WEIGHTS_FORMAT, version: 1, options: w.options, meta: w.meta ?? {}, tensors });
}

export function parseWeights(text: string, source = 'weights'): ModelWeights {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`);
  }
  const r = raw as {
    format?: string;
    version?: number;
    options?: unknown;
    meta?: Record<string, unknown>;
    tensors?: unknown;
  };
  if (r?.format !== WEIGHTS_FORMAT || r.version !== 1) throw new Error(`${source}: not a ${WEIGHTS_FORMAT} v1 file`);
  const options = modelOptions(r.options as ModelOptionsInput);
  const tensors = new Map<string, Tensor>();
  const given = (r.tensors ?? {}) as Record<string, { shape: number[]; data: string }>;
  for (const s of paramSpecs(options)) {
    let t = given[s.name];
    if (!t) throw new Error(`${source}: parameter ${s.name} is missing`);
    if (s.name === 'proj.local.W' && t.shape[0] === LOCAL_INPUT_DIM_V1 && t.shape[1] === s.shape[1]) {
      // a file from before the lip-corner asymmetry input: that input gets a zero row (the outputs do not change)
      const old = Buffer.from(t.data, 'base64');
      const grown = Buffer.alloc(s.shape[0] * s.shape[1] * 4);
      old.copy(grown);
      t = { shape: s.shape, data: grown.toString('base64') };
    }
    if (JSON.stringify(t.shape) !== JSON.stringify(s.shape)) {
      throw new Error(`${source}: ${s.name} has shape [${t.shape}], expected [${s.shape}]`);
    }
    const buf = Buffer.from(t.data, 'base64');
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (buf.byteLength !== n * 4)
      throw new Error(`${source}: ${s.name} holds ${buf.byteLength} bytes, expected ${n * 4}`);
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(buf);
    if (!data.every(Number.isFinite)) throw new Error(`${source}: ${s.name} has non-finite values`);
    tensors.set(s.name, { shape: s.shape, data });
  }
  return { options, tensors, meta: r.meta };
}

export function saveWeights(path: string, w: ModelWeights): void {
  writeFileSync(path, serializeWeights(w));
}

export function loadWeights(path: string): ModelWeights {
  return parseWeights(readFileSync(path, 'utf8'), path);
}

export function cloneWeights(w: ModelWeights): ModelWeights {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of w.tensors) tensors.set(k, { shape: [...t.shape], data: t.data.slice() });
  return { options: { ...w.options }, tensors, meta: w.meta ? { ...w.meta } : undefined };
}

/** Small deterministic PRNG (mulberry32) for seeded initialisation and perturbation. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
