/**
 * The global-local attention visual encoder (the paper's first idea), as ONNX graphs on onnxruntime-node, with an
 * incremental streaming form.
 *
 * Each local token (per face per frame) is projected to D, gets its stream-time encoding, and attends (masked,
 * multi-head) to the projected + time-encoded global frame tokens whose time lies in [t − windowBeforeS,
 * t + windowAfterS]; residual + feed-forward; `encoderLayers` such blocks (each layer attends to the same global
 * tokens through its own keys/values). Output: the fused token [D].
 *
 * Graphs (B local tokens, W cached global slots, M global tokens, G = global input dim):
 *   kv     : global [M, G], global_time [M, D]                       → k0, v0 (, k1, v1 …) [M, D]
 *   step   : local [B, 564], local_time [B, D], mask [B, W], k0, v0 … [W, D] → fused [B, D]
 *   batch  : local [B, 564], local_time [B, D], global [M, G], global_time [M, D], mask [B, M] → fused [B, D]
 * Incremental use (EncoderStream): each new global token runs `kv` once and its keys/values go into a ring buffer
 * (KvRing) of fixed capacity; a local token is encoded by `step` against the whole ring, its window expressed by
 * the mask, as soon as the global tokens up to t + windowAfterS have arrived (or provisionally earlier, see
 * `provisional`). `step` and `batch` give the same fused tokens (test/model/encoder.test.ts: < 1e-5).
 */
import type * as ort from 'onnxruntime-node';
import type { ModelOptions } from './modelOptions.ts';
import { f32, MASKED, ModelGraph, sessionFromBytes } from './onnxBlocks.ts';
import { streamTimeRows } from './timeEncoding.ts';
import { globalInputDim, LOCAL_INPUT_DIM } from './tokens.ts';
import type { ModelWeights } from './weights.ts';

const EPS = 1e-6;

/** Whether a global token at tg is inside the window of a local token at tl. */
export function inWindow(tl: number, tg: number, o: Pick<ModelOptions, 'windowBeforeS' | 'windowAfterS'>): boolean {
  return tg >= tl - o.windowBeforeS - EPS && tg <= tl + o.windowAfterS + EPS;
}

function globalKv(m: ModelGraph, gIn: string, gTime: string): { k: string; v: string }[] {
  const x = m.g.op('Add', [m.linear(gIn, 'proj.global.W', 'proj.global.b'), gTime]);
  const out: { k: string; v: string }[] = [];
  for (let l = 0; l < m.o.encoderLayers; l++) {
    out.push({ k: m.linear(x, `enc.${l}.Wk`), v: m.linear(x, `enc.${l}.Wv`) });
  }
  return out;
}

function encodeLocals(m: ModelGraph, lIn: string, lTime: string, kv: { k: string; v: string }[], mask: string): string {
  let x = m.g.op('Add', [m.linear(lIn, 'proj.local.W', 'proj.local.b'), lTime]);
  for (let l = 0; l < m.o.encoderLayers; l++) x = m.block(`enc.${l}`, x, kv[l].k, kv[l].v, mask, false);
  return x;
}

export function buildKvGraph(w: ModelWeights): Uint8Array {
  const m = new ModelGraph('microemo_encoder_kv', w, 'global tokens → per-layer keys/values of the encoder');
  const D = w.options.dModel;
  m.g.input('global', 'float32', ['M', globalInputDim(w.options)]);
  m.g.input('global_time', 'float32', ['M', D]);
  globalKv(m, 'global', 'global_time').forEach((kv, l) => {
    m.g.node('Identity', [kv.k], [`k${l}`]);
    m.g.node('Identity', [kv.v], [`v${l}`]);
    m.g.output(`k${l}`, 'float32', ['M', D]);
    m.g.output(`v${l}`, 'float32', ['M', D]);
  });
  return m.g.toBytes();
}

export function buildStepGraph(w: ModelWeights): Uint8Array {
  const m = new ModelGraph('microemo_encoder_step', w, 'local tokens × cached global keys/values → fused tokens');
  const D = w.options.dModel;
  m.g.input('local', 'float32', ['B', LOCAL_INPUT_DIM]);
  m.g.input('local_time', 'float32', ['B', D]);
  m.g.input('mask', 'float32', ['B', 'W']);
  const kv: { k: string; v: string }[] = [];
  for (let l = 0; l < w.options.encoderLayers; l++) {
    kv.push({ k: m.g.input(`k${l}`, 'float32', ['W', D]), v: m.g.input(`v${l}`, 'float32', ['W', D]) });
  }
  const y = encodeLocals(m, 'local', 'local_time', kv, 'mask');
  m.g.node('Identity', [y], ['fused']);
  m.g.output('fused', 'float32', ['B', D]);
  return m.g.toBytes();
}

export function buildBatchGraph(w: ModelWeights): Uint8Array {
  const m = new ModelGraph('microemo_encoder_batch', w, 'whole window at once: local and global tokens → fused tokens');
  const D = w.options.dModel;
  m.g.input('local', 'float32', ['B', LOCAL_INPUT_DIM]);
  m.g.input('local_time', 'float32', ['B', D]);
  m.g.input('global', 'float32', ['M', globalInputDim(w.options)]);
  m.g.input('global_time', 'float32', ['M', D]);
  m.g.input('mask', 'float32', ['B', 'M']);
  const y = encodeLocals(m, 'local', 'local_time', globalKv(m, 'global', 'global_time'), 'mask');
  m.g.node('Identity', [y], ['fused']);
  m.g.output('fused', 'float32', ['B', D]);
  return m.g.toBytes();
}

/** Window mask [B, M] of local times against global times (additive: 0 or MASKED). */
export function windowMask(
  lt: ArrayLike<number>,
  gt: ArrayLike<number>,
  o: ModelOptions,
  valid?: ArrayLike<number>,
): Float32Array {
  const mask = new Float32Array(lt.length * gt.length);
  for (let b = 0; b < lt.length; b++) {
    for (let j = 0; j < gt.length; j++) {
      const ok = (valid ? valid[j] !== 0 : true) && inWindow(lt[b], gt[j], o);
      mask[b * gt.length + j] = ok ? 0 : MASKED;
    }
  }
  return mask;
}

/** The encoder's three sessions for one set of weights (shared by all streams). */
export class GlobalLocalEncoder {
  private constructor(
    readonly weights: ModelWeights,
    private readonly kv: ort.InferenceSession,
    private readonly step: ort.InferenceSession,
    private readonly batch: ort.InferenceSession,
  ) {}

  static async create(weights: ModelWeights): Promise<GlobalLocalEncoder> {
    const [kv, step, batch] = await Promise.all([
      sessionFromBytes(buildKvGraph(weights)),
      sessionFromBytes(buildStepGraph(weights)),
      sessionFromBytes(buildBatchGraph(weights)),
    ]);
    return new GlobalLocalEncoder(weights, kv, step, batch);
  }

  get options(): ModelOptions {
    return this.weights.options;
  }

  /** Keys/values per layer of M global tokens ([M·D] each). */
  async globalKeysValues(
    globals: readonly { t: number; token: Float32Array }[],
  ): Promise<{ k: Float32Array; v: Float32Array }[]> {
    const o = this.options;
    const G = globalInputDim(o);
    const gIn = new Float32Array(globals.length * G);
    for (const [i, g] of globals.entries()) gIn.set(g.token.subarray(0, G), i * G);
    const r = await this.kv.run({
      global: f32(gIn, [globals.length, G]),
      global_time: f32(
        streamTimeRows(
          globals.map((g) => g.t),
          o,
        ),
        [globals.length, o.dModel],
      ),
    });
    const out: { k: Float32Array; v: Float32Array }[] = [];
    for (let l = 0; l < o.encoderLayers; l++) {
      out.push({ k: r[`k${l}`].data as Float32Array, v: r[`v${l}`].data as Float32Array });
    }
    return out;
  }

  /** Encodes local tokens against W cached slots (keys/values per layer [W·D], additive mask [B·W]). */
  async encodeStep(
    locals: readonly { t: number; token: Float32Array }[],
    cache: readonly { k: Float32Array; v: Float32Array }[],
    mask: Float32Array,
    slots: number,
  ): Promise<Float32Array[]> {
    const o = this.options;
    const B = locals.length;
    const lIn = new Float32Array(B * LOCAL_INPUT_DIM);
    for (const [i, l] of locals.entries()) lIn.set(l.token, i * LOCAL_INPUT_DIM);
    const feeds: Record<string, ort.Tensor> = {
      local: f32(lIn, [B, LOCAL_INPUT_DIM]),
      local_time: f32(
        streamTimeRows(
          locals.map((l) => l.t),
          o,
        ),
        [B, o.dModel],
      ),
      mask: f32(mask, [B, slots]),
    };
    cache.forEach((c, l) => {
      feeds[`k${l}`] = f32(c.k, [slots, o.dModel]);
      feeds[`v${l}`] = f32(c.v, [slots, o.dModel]);
    });
    const r = await this.step.run(feeds);
    return rows(r.fused.data as Float32Array, B, o.dModel);
  }

  /**
   * Encodes local tokens against the given global tokens in one run (the whole window at once). `noGlobal`
   * (ablation: local only) replaces the globals by nothing (every local attends to the null slot).
   */
  async encodeBatch(
    locals: readonly { t: number; token: Float32Array }[],
    globals: readonly { t: number; token: Float32Array }[],
    opts: { noGlobal?: boolean } = {},
  ): Promise<Float32Array[]> {
    const o = this.options;
    const B = locals.length;
    if (B === 0) return [];
    const G = globalInputDim(o);
    const gl = globals.length > 0 ? globals : [{ t: 0, token: new Float32Array(G) }];
    const M = gl.length;
    const lIn = new Float32Array(B * LOCAL_INPUT_DIM);
    for (const [i, l] of locals.entries()) lIn.set(l.token, i * LOCAL_INPUT_DIM);
    const gIn = new Float32Array(M * G);
    for (const [i, g] of gl.entries()) gIn.set(g.token.subarray(0, G), i * G);
    const mask =
      opts.noGlobal || globals.length === 0
        ? new Float32Array(B * M).fill(MASKED)
        : windowMask(
            locals.map((l) => l.t),
            gl.map((g) => g.t),
            o,
          );
    const r = await this.batch.run({
      local: f32(lIn, [B, LOCAL_INPUT_DIM]),
      local_time: f32(
        streamTimeRows(
          locals.map((l) => l.t),
          o,
        ),
        [B, o.dModel],
      ),
      global: f32(gIn, [M, G]),
      global_time: f32(
        streamTimeRows(
          gl.map((g) => g.t),
          o,
        ),
        [M, o.dModel],
      ),
      mask: f32(mask, [B, M]),
    });
    return rows(r.fused.data as Float32Array, B, o.dModel);
  }

  async release(): Promise<void> {
    await Promise.all([this.kv.release(), this.step.release(), this.batch.release()]);
  }
}

export function rows(data: Float32Array, n: number, d: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) out.push(data.slice(i * d, (i + 1) * d));
  return out;
}

/**
 * Ring buffer of the encoder's cached global keys/values (per layer [capacity, D]) with their times. Slots are
 * overwritten oldest first; empty slots are masked out. The pipeline may hold these arrays in its own ring buffer:
 * what the step graph needs is only (k, v per layer, times, valid) of fixed capacity.
 */
export class KvRing {
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  readonly times: Float64Array;
  readonly valid: Uint8Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    readonly dModel: number,
    layers: number,
  ) {
    this.k = Array.from({ length: layers }, () => new Float32Array(capacity * dModel));
    this.v = Array.from({ length: layers }, () => new Float32Array(capacity * dModel));
    this.times = new Float64Array(capacity);
    this.valid = new Uint8Array(capacity);
  }

  /** Capacity that holds a full window at `maxFps` global tokens per second. */
  static capacityFor(o: ModelOptions, maxFps = 60): number {
    return Math.ceil((o.windowBeforeS + o.windowAfterS) * maxFps) + 8;
  }

  push(t: number, kv: readonly { k: Float32Array; v: Float32Array }[], row = 0): void {
    const D = this.dModel;
    const i = this.head;
    kv.forEach((x, l) => {
      this.k[l].set(x.k.subarray(row * D, (row + 1) * D), i * D);
      this.v[l].set(x.v.subarray(row * D, (row + 1) * D), i * D);
    });
    this.times[i] = t;
    this.valid[i] = 1;
    this.head = (this.head + 1) % this.capacity;
    this.count = Math.min(this.capacity, this.count + 1);
  }

  get size(): number {
    return this.count;
  }

  /** Oldest time held (Infinity when empty). */
  oldest(): number {
    if (this.count === 0) return Number.POSITIVE_INFINITY;
    return this.times[this.count < this.capacity ? 0 : this.head];
  }

  mask(localTimes: readonly number[], o: ModelOptions): Float32Array {
    return windowMask(localTimes, this.times, o, this.valid);
  }

  clear(): void {
    this.valid.fill(0);
    this.head = 0;
    this.count = 0;
  }
}

export interface FusedToken {
  trackId: number;
  t: number;
  fused: Float32Array;
}

/**
 * One stream's incremental encoder state: the key/value ring and the local tokens waiting for their window's
 * future half. Call `addGlobal` / `addLocal` in media-time order, then `advance(t)` with the latest media time
 * analysed: it encodes every local token whose window is complete (t_local ≤ t − windowAfterS).
 */
export class EncoderStream {
  readonly ring: KvRing;
  private pending: { trackId: number; t: number; token: Float32Array }[] = [];

  constructor(
    readonly encoder: GlobalLocalEncoder,
    capacity = KvRing.capacityFor(encoder.options),
  ) {
    const o = encoder.options;
    this.ring = new KvRing(capacity, o.dModel, o.encoderLayers);
  }

  async addGlobal(t: number, token: Float32Array): Promise<void> {
    const kv = await this.encoder.globalKeysValues([{ t, token }]);
    this.ring.push(t, kv);
  }

  addLocal(trackId: number, t: number, token: Float32Array): void {
    this.pending.push({ trackId, t, token });
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Encodes (and forgets) the pending local tokens whose window is complete at media time `now`. */
  async advance(now: number): Promise<FusedToken[]> {
    const after = this.encoder.options.windowAfterS;
    const ready = this.pending.filter((p) => p.t <= now - after + EPS);
    if (ready.length === 0) return [];
    this.pending = this.pending.filter((p) => p.t > now - after + EPS);
    return this.encode(ready);
  }

  /** Encodes the pending tokens up to `upTo` with the global tokens seen so far, keeping them pending. */
  async provisional(upTo = Number.POSITIVE_INFINITY): Promise<FusedToken[]> {
    const some = this.pending.filter((p) => p.t <= upTo + EPS);
    return some.length ? this.encode(some) : [];
  }

  /** End of stream: encodes everything pending with what there is. */
  async flush(): Promise<FusedToken[]> {
    const all = this.pending;
    this.pending = [];
    return all.length ? this.encode(all) : [];
  }

  private async encode(list: { trackId: number; t: number; token: Float32Array }[]): Promise<FusedToken[]> {
    const o = this.encoder.options;
    const mask = this.ring.mask(
      list.map((p) => p.t),
      o,
    );
    const cache = this.ring.k.map((k, l) => ({ k, v: this.ring.v[l] }));
    const fused = await this.encoder.encodeStep(list, cache, mask, this.ring.capacity);
    return list.map((p, i) => ({ trackId: p.trackId, t: p.t, fused: fused[i] }));
  }
}
