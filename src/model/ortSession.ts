/**
 * onnxruntime-node sessions for the project's models: one cached session per (file, options), CPU with a fixed
 * number of intra-op threads by default (the pipeline runs many streams on few cores, so each inference stays on
 * one thread), the CUDA execution provider when asked for and present, a warm-up run at load, and batched runs
 * for stages with several faces. Graph optimisation stays at onnxruntime's default (all): the converted graphs
 * rely on it to fold their layout transposes.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { rootLogger } from '../events/logger.ts';
import { DEFAULT_MODELS_DIR } from './modelBuild.ts';

export const ortOptionsSchema = z.object({
  /** 'cuda' uses the CUDA execution provider when its libraries are installed, else warns and runs on CPU. */
  provider: z.enum(['cpu', 'cuda']).default('cpu'),
  cudaDeviceId: z.coerce.number().int().min(0).default(0),
  /** Threads inside one operator; 0 lets onnxruntime pick (all cores). */
  intraOpThreads: z.coerce.number().int().min(0).default(1),
  /** Threads across independent operators (only with the parallel execution mode). */
  interOpThreads: z.coerce.number().int().min(0).default(1),
  /** Runs on zeros at load so the first real frame does not pay for allocation and kernel selection. */
  warmupRuns: z.coerce.number().int().min(0).default(1),
});
export type OrtOptions = z.infer<typeof ortOptionsSchema>;
export type OrtOptionsInput = z.input<typeof ortOptionsSchema>;

export type Feeds = Record<string, ort.Tensor>;
export type Outputs = Record<string, ort.Tensor>;

type TensorMeta = { name: string; type: ort.Tensor.Type; shape: readonly (number | string)[] };

function tensorMeta(list: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] {
  return list.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'float32', shape: [] },
  );
}

/** Whether onnxruntime-node's CUDA provider library sits next to its binding (the npm package does not bundle it). */
export function cudaAvailable(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const bin = join(
      dirname(require.resolve('onnxruntime-node')),
      '..',
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
    );
    return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

function zeros(type: ort.Tensor.Type, dims: number[]): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(n), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(n), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(n), dims);
    case 'uint8':
      return new ort.Tensor('uint8', new Uint8Array(n), dims);
    default:
      throw new Error(`no warm-up tensor for input type ${type}`);
  }
}

type NumericArray = Float32Array | Int32Array | Uint8Array;

/** Warm-up extent of a symbolic dim past the first: 256, the native input side of the free-size vision model. */
const WARMUP_FREE_DIM = 256;

/** One loaded model. */
export class OrtModel {
  readonly inputs: TensorMeta[];
  readonly outputs: TensorMeta[];

  constructor(
    readonly path: string,
    readonly session: ort.InferenceSession,
    /** Execution provider actually in use. */
    readonly provider: 'cpu' | 'cuda',
  ) {
    this.inputs = tensorMeta(session.inputMetadata);
    this.outputs = tensorMeta(session.outputMetadata);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  run(feeds: Feeds): Promise<Outputs> {
    return this.session.run(feeds) as Promise<Outputs>;
  }

  /**
   * One run on zeros: a symbolic batch (first) dim = 1, any other symbolic dim = WARMUP_FREE_DIM (a free spatial size,
   * e.g. BlazeFace's height/width: 1 would be too small for its strided convolutions).
   */
  async warmup(): Promise<void> {
    const feeds: Feeds = {};
    for (const i of this.inputs)
      feeds[i.name] = zeros(
        i.type,
        i.shape.map((d, k) => (typeof d === 'number' ? d : k === 0 ? 1 : WARMUP_FREE_DIM)),
      );
    await this.run(feeds);
  }

  /** True when the first input's batch dimension is symbolic (the model takes N samples in one run). */
  get batchable(): boolean {
    return this.inputs.length === 1 && typeof this.inputs[0].shape[0] === 'string';
  }

  /**
   * Runs several samples of the (single) input, each given without its batch dimension (e.g. one 112×112×3 face),
   * and returns each sample's outputs. Models with a symbolic batch dimension get one run with the samples
   * stacked; others (fixed batch 1) one run per sample.
   */
  async runBatch(samples: readonly NumericArray[]): Promise<Record<string, NumericArray>[]> {
    if (this.inputs.length !== 1) throw new Error(`${this.path}: runBatch needs a single-input model`);
    if (samples.length === 0) return [];
    const input = this.inputs[0];
    const sampleDims = input.shape.slice(1).map((d) => {
      if (typeof d !== 'number') throw new Error(`${this.path}: input ${input.name} has symbolic dim ${d} past batch`);
      return d;
    });
    const per = sampleDims.reduce((a, b) => a * b, 1);
    for (const s of samples) {
      if (s.length !== per) throw new Error(`${this.path}: a sample has ${s.length} values, expected ${per}`);
    }
    const make = (data: NumericArray, n: number) =>
      new ort.Tensor(input.type as 'float32', data as Float32Array, [n, ...sampleDims]);
    if (!this.batchable || samples.length === 1) {
      const out: Record<string, NumericArray>[] = [];
      for (const s of samples) {
        const r = await this.run({ [input.name]: make(s, 1) });
        out.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as NumericArray])));
      }
      return out;
    }
    const Ctor = samples[0].constructor as new (n: number) => NumericArray;
    const stacked = new Ctor(per * samples.length);
    for (const [i, s] of samples.entries()) stacked.set(s, i * per);
    const r = await this.run({ [input.name]: make(stacked, samples.length) });
    const out: Record<string, NumericArray>[] = samples.map(() => ({}));
    for (const [k, v] of Object.entries(r)) {
      const data = v.data as NumericArray;
      if (v.dims[0] !== samples.length) throw new Error(`${this.path}: output ${k} has batch ${v.dims[0]}`);
      const size = data.length / samples.length;
      for (let i = 0; i < samples.length; i++) out[i][k] = data.subarray(i * size, (i + 1) * size);
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Loads each model file once per option set and hands out the same session afterwards. */
export class OrtSessionCache {
  readonly options: OrtOptions;
  private readonly sessions = new Map<string, Promise<OrtModel>>();
  private warnedCuda = false;

  constructor(options: OrtOptionsInput = {}) {
    this.options = ortOptionsSchema.parse(options);
  }

  /** The session of a built model by name (`<dir>/<name>.onnx`, dir defaulting to `<repo>/models`). */
  model(name: string, dir: string = DEFAULT_MODELS_DIR): Promise<OrtModel> {
    return this.get(join(dir, `${name}.onnx`));
  }

  /** The session for a model file (loaded, warmed up and cached on first use). */
  get(path: string): Promise<OrtModel> {
    const key = resolve(path);
    let p = this.sessions.get(key);
    if (!p) {
      p = this.load(key);
      // a failed load is not cached, so a rebuilt file can be retried
      p.catch(() => this.sessions.delete(key));
      this.sessions.set(key, p);
    }
    return p;
  }

  private async load(path: string): Promise<OrtModel> {
    if (!existsSync(path)) throw new Error(`model file ${path} is missing (run \`npm run models\`)`);
    const o = this.options;
    const base: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: o.intraOpThreads,
      interOpNumThreads: o.interOpThreads,
      executionMode: 'sequential',
    };
    let model: OrtModel | undefined;
    if (o.provider === 'cuda') {
      if (cudaAvailable()) {
        try {
          const s = await ort.InferenceSession.create(path, {
            ...base,
            executionProviders: [{ name: 'cuda', deviceId: o.cudaDeviceId }, 'cpu'],
          });
          model = new OrtModel(path, s, 'cuda');
        } catch (err) {
          this.warnCuda(`CUDA execution provider failed (${(err as Error).message})`);
        }
      } else {
        this.warnCuda('CUDA execution provider libraries are not installed with onnxruntime-node');
      }
    }
    if (!model) {
      const s = await ort.InferenceSession.create(path, { ...base, executionProviders: ['cpu'] });
      model = new OrtModel(path, s, 'cpu');
    }
    for (let i = 0; i < o.warmupRuns; i++) await model.warmup();
    return model;
  }

  private warnCuda(why: string): void {
    if (this.warnedCuda) return;
    this.warnedCuda = true;
    rootLogger().warn(`${why}; running models on CPU`);
  }

  /** Releases every session (at shutdown). */
  async releaseAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.release()));
  }
}
