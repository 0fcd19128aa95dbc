/**
 * TFJS graph model (JSON + decoded weights) → ONNX, built with GraphBuilder.
 *
 * Hand-written: the usual route (tfjs → SavedModel → tf2onnx) needs Python and TensorFlow, which a Node install
 * cannot rely on. The op set covered is what the models of @vladmandic/human use (see SUPPORTED_OPS); anything else
 * fails with an error naming the op and the node, so a new model never converts silently wrong.
 *
 * Layout: tfjs is NHWC, ONNX Conv/MaxPool/Resize are NCHW. The graph keeps tfjs' NHWC everywhere (model I/O matches
 * Human's pre-processing, and Reshape/Concat/Mean axes stay valid) and wraps each spatial op in a pair of Transposes.
 * onnxruntime's transpose optimiser (on at its default level) cancels the back-to-back pairs between consecutive
 * spatial ops, so the body runs NCHW with transposes left only at the borders.
 */
import { type Dim, type DType, dtypeCode, float, GraphBuilder } from './graphBuilder.ts';
import { hwioToOihw, transpose2d } from './layout.ts';
import type {
  DecodedWeight,
  TfjsAttrValue,
  TfjsModelJson,
  TfjsNode,
  TfjsSignatureEntry,
  WeightMap,
} from './tfjsWeights.ts';

export interface ExtraOutput {
  /** tfjs tensor name ("node" or "node:1"). */
  tensor: string;
  /** 'spatialMean' reduces an NHWC map over H and W (axes 1, 2) to [N, C], e.g. an embedding from a feature map. */
  reduce?: 'spatialMean';
  /** Declared shape of the output (documentation for consumers; ONNX checks it at run time). */
  shape?: Dim[];
}

export interface ConvertOptions {
  /** Graph name written into the model. */
  name: string;
  /** Extra graph outputs by ONNX output name (internal tensors such as pooled features). */
  extraOutputs?: Record<string, string | ExtraOutput>;
  /** Renames of the signature outputs: signature key (or tfjs tensor name) → ONNX output name. */
  outputNames?: Record<string, string>;
  /** Declared shapes of outputs by ONNX name, overriding the signature (e.g. a batch dim it recorded as 1). */
  outputShapes?: Record<string, Dim[]>;
  /** Name of the symbolic batch dimension for inputs declared with -1 (default 'batch'). */
  batchDim?: string;
  /**
   * Frees the input's spatial size: its H and W are declared as these symbolic dims, and the listed Reshape nodes get
   * -1 on the given axis of their constant shape (the anchor count of a detector head). Valid for graphs that are
   * convolutional up to those Reshapes and are fed sizes that stay even at every stride-2 stage (multiples of the
   * total stride): SAME pads, made explicit from the declared size, are then the same for every such size.
   */
  freeSpatial?: { dims: [string, string]; reshapeAxes: Record<string, number> };
  docString?: string;
}

export interface TensorInfo {
  name: string;
  dtype: DType;
  /** Declared shape; strings are symbolic; undefined when unknown. */
  shape?: Dim[];
  /** The tfjs tensor it comes from (outputs of converted models). */
  source?: string;
}

export interface ConvertedModel {
  bytes: Uint8Array;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

/** Ops the converter handles (after fused-op expansion). Exported for documentation and tests. */
export const SUPPORTED_OPS = [
  'Placeholder',
  'Const',
  'Identity',
  'Conv2D',
  '_FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2dNative',
  'MaxPool',
  'AvgPool',
  'Pad',
  'PadV2',
  'Reshape',
  'ConcatV2',
  'Pack',
  'Unpack',
  'ExpandDims',
  'Squeeze',
  'Cast',
  'ArgMax',
  'FloorDiv',
  'GatherNd',
  'ResizeBilinear',
  'Mean',
  'Max',
  'Min',
  'Sum',
  'MatMul',
  '_FusedMatMul',
  'Softmax',
  'Sigmoid',
  'Tanh',
  'Relu',
  'Relu6',
  'Elu',
  'LeakyRelu',
  'Prelu',
  'Sqrt',
  'Rsqrt',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Square',
  'Floor',
  'Add',
  'AddV2',
  'BiasAdd',
  'Sub',
  'Mul',
  'RealDiv',
  'Div',
  'Minimum',
  'Maximum',
  'Pow',
  'SquaredDifference',
] as const;

const TF_DTYPE: Record<string, DType> = {
  DT_FLOAT: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int64',
  DT_BOOL: 'bool',
  DT_UINT8: 'uint8',
};

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

function b64(s: string | undefined): string {
  return s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8');
}

function attrInts(a: TfjsAttrValue | undefined): number[] {
  return (a?.list?.i ?? []).map((x) => Number(x));
}

function tfDtype(t: string | undefined, where: string): DType {
  const d = t ? TF_DTYPE[t] : undefined;
  if (!d) throw new Error(`${where}: unsupported tensor dtype ${t}`);
  return d;
}

/** "node:0" and "node" are the same tensor; control inputs ("^node") are dropped by the caller. */
function canonical(tfName: string): string {
  return tfName.endsWith(':0') ? tfName.slice(0, -2) : tfName;
}

class Converter {
  readonly g: GraphBuilder;
  private readonly dtypes = new Map<string, DType>();
  private readonly consts = new Map<string, DecodedWeight>();
  private readonly emitted = new Map<string, string>();
  /** Static [H, W] of NHWC feature maps where known (lets SAME padding become explicit pads). */
  private readonly spatial = new Map<string, [number, number]>();
  /** Channel count (last axis) of NHWC feature maps where known. */
  private readonly channels = new Map<string, number>();
  private node: TfjsNode = { name: '', op: '' };

  constructor(
    private readonly model: TfjsModelJson,
    private readonly weights: WeightMap,
    private readonly opts: ConvertOptions,
  ) {
    this.g = new GraphBuilder(opts.name, { docString: opts.docString ?? '' });
  }

  private fail(msg: string): never {
    throw new Error(`tfjs→onnx: node "${this.node.name}" (${this.node.op}): ${msg}`);
  }

  private inputsOf(n: TfjsNode): string[] {
    return (n.input ?? []).filter((i) => !i.startsWith('^')).map(canonical);
  }

  private dtypeOf(t: string): DType {
    const d = this.dtypes.get(t);
    if (!d) this.fail(`input tensor ${t} is not defined (unsupported producer or wrong order)`);
    return d;
  }

  private set(name: string, dtype: DType): string {
    this.dtypes.set(name, dtype);
    return name;
  }

  /** The constant behind a tfjs tensor, if it is one. */
  private constOf(t: string): DecodedWeight | undefined {
    return this.consts.get(t);
  }

  /**
   * The common value of a float constant shaped [1, …, 1, C] (C > 1) whose values are all equal, else undefined.
   * Only such shapes: they broadcast over an NHWC feature map without changing its shape, so a scalar may replace them.
   */
  private uniformChannelConst(t: string): number | undefined {
    const c = this.constOf(t);
    if (!c || !(c.data instanceof Float32Array) || c.data.length < 2 || c.shape.length > 4) return undefined;
    if (c.shape.slice(0, -1).some((d) => d !== 1)) return undefined;
    const v = c.data[0];
    return c.data.every((x) => x === v) ? v : undefined;
  }

  private constInts(t: string): number[] {
    const c = this.constOf(t);
    if (!c) this.fail(`input ${t} must be a constant`);
    return Array.from(c.data as ArrayLike<number>, Number);
  }

  /** The ONNX tensor for a tfjs tensor; constants become initializers on first use. */
  private ref(t: string): string {
    const c = this.consts.get(t);
    if (!c) {
      this.dtypeOf(t);
      return t;
    }
    const done = this.emitted.get(t);
    if (done) return done;
    const data = c.dtype === 'float32' ? (c.data as Float32Array) : c.dtype === 'int32' ? (c.data as Int32Array) : null;
    if (!data) this.fail(`constant ${t} has unsupported dtype ${c.dtype}`);
    // a helper tensor may already carry the constant's name (e.g. an int64 copy of a shape): take a fresh one
    const name = this.g.initializer(this.g.has(t) ? this.g.name(t) : t, data, c.shape);
    this.dtypes.set(name, c.dtype as DType);
    this.emitted.set(t, name);
    return name;
  }

  private i64(prefix: string, values: readonly number[]): string {
    return this.g.constInt64(`${this.node.name}/${prefix}`, values);
  }

  /** Float initializer derived from a constant (permuted filters, reshaped slopes) with a stable name. */
  private derivedFloat(t: string, suffix: string, data: Float32Array, dims: number[]): string {
    const key = `${t}#${suffix}`;
    const done = this.emitted.get(key);
    if (done) return done;
    const name = this.g.initializer(this.g.name(`${t}/${suffix}`), data, dims);
    this.emitted.set(key, name);
    return name;
  }

  convert(): ConvertedModel {
    const inputs: TensorInfo[] = [];
    const batch = this.opts.batchDim ?? 'batch';
    const nodes = topoSort(this.model.modelTopology.node);
    // the model's own tensor names (node outputs) are defined as they are converted; helpers must not take them
    this.g.reserve(nodes.filter((n) => n.op !== 'Const').map((n) => n.name));
    for (const n of nodes) {
      this.node = n;
      if (n.op === 'Const') {
        const w = this.weights.get(n.name);
        if (!w) this.fail('constant has no entry in the weights manifest');
        this.consts.set(n.name, w);
        continue;
      }
      if (n.op === 'Placeholder') {
        const dtype = tfDtype(n.attr?.dtype?.type, `placeholder ${n.name}`);
        const dims = n.attr?.shape?.shape?.dim ?? [];
        const shape: Dim[] = dims.map((d) => (Number(d.size) < 0 ? batch : Number(d.size)));
        const free = this.opts.freeSpatial;
        // pads are still made from the declared size (`shape`), which free sizes must agree with (see freeSpatial)
        const declared = free && shape.length === 4 ? [shape[0], ...free.dims, shape[3]] : shape;
        this.g.input(n.name, dtype, declared);
        if (shape.length === 4 && typeof shape[1] === 'number' && typeof shape[2] === 'number') {
          this.spatial.set(n.name, [shape[1], shape[2]]);
          if (typeof shape[3] === 'number') this.channels.set(n.name, shape[3]);
        }
        this.set(n.name, dtype);
        inputs.push({ name: n.name, dtype, shape: declared });
        continue;
      }
      this.convertNode(n);
      this.inferSpatial(n);
    }
    const outputs = this.declareOutputs();
    return { bytes: this.g.toBytes(), inputs, outputs };
  }

  /** Signature outputs; like tfjs, a model without one outputs the tensors no node consumes. */
  private signatureOutputs(): Record<string, TfjsSignatureEntry> {
    const sig = this.model.signature?.outputs ?? this.model.userDefinedMetadata?.signature?.outputs;
    if (sig && Object.keys(sig).length) return sig;
    const used = new Set(this.model.modelTopology.node.flatMap((n) => this.inputsOf(n)));
    const out: Record<string, TfjsSignatureEntry> = {};
    for (const n of this.model.modelTopology.node) {
      if (n.op === 'Const' || used.has(n.name)) continue;
      out[n.name] = { name: n.name, dtype: 'DT_FLOAT' };
    }
    return out;
  }

  private declareOutputs(): TensorInfo[] {
    const outputs: TensorInfo[] = [];
    const sig = this.signatureOutputs();
    const rename = this.opts.outputNames ?? {};
    const seen = new Set<string>();
    const add = (onnxName: string, tensor: string, dtype: DType, shape: Dim[] | undefined, source: string) => {
      if (seen.has(onnxName)) throw new Error(`tfjs→onnx: output name ${onnxName} used twice`);
      seen.add(onnxName);
      let src = tensor;
      if (this.consts.has(tensor)) src = this.ref(tensor);
      if (src !== onnxName) {
        if (this.g.has(onnxName)) throw new Error(`tfjs→onnx: output name ${onnxName} collides with a graph tensor`);
        this.g.node('Identity', [src], [onnxName]);
      }
      this.g.output(onnxName, dtype, shape);
      outputs.push(shape ? { name: onnxName, dtype, shape, source } : { name: onnxName, dtype, source });
    };
    for (const [key, entry] of Object.entries(sig)) {
      const tensor = canonical(entry.name);
      if (!this.dtypes.has(tensor) && !this.consts.has(tensor)) {
        throw new Error(`tfjs→onnx: signature output ${key} names unknown tensor ${entry.name}`);
      }
      const name = rename[key] ?? rename[tensor] ?? canonical(key);
      const dims = entry.tensorShape?.dim;
      const shape = dims?.map((d): Dim => (Number(d.size) < 0 ? (this.opts.batchDim ?? 'batch') : Number(d.size)));
      add(name, tensor, tfDtype(entry.dtype, `output ${key}`), this.opts.outputShapes?.[name] ?? shape, entry.name);
    }
    for (const [name, spec] of Object.entries(this.opts.extraOutputs ?? {})) {
      const s: ExtraOutput = typeof spec === 'string' ? { tensor: spec } : spec;
      const tensor = canonical(s.tensor);
      if (!this.dtypes.has(tensor)) throw new Error(`tfjs→onnx: extra output ${name}: no tensor ${s.tensor} in graph`);
      let src = tensor;
      if (s.reduce === 'spatialMean') {
        src = this.g.name(`${name}/mean`);
        this.g.node('ReduceMean', [tensor], [src], { axes: [1, 2], keepdims: 0 });
      }
      add(name, src, this.dtypeOf(tensor), s.shape, s.tensor);
    }
    return outputs;
  }

  private convertNode(n: TfjsNode): void {
    const ins = this.inputsOf(n);
    const out = n.name;
    const a = n.attr ?? {};
    const g = this.g;
    const unary = (op: string) => this.set(g.node(op, [this.ref(ins[0])], [out])[0], this.dtypeOf(this.ref(ins[0])));
    const binary = (op: string) => {
      const x = this.ref(ins[0]);
      const uniform = this.uniformChannelConst(ins[1]);
      // An input normalisation like MoveNet's (x − [0,0,0]) · [1/127.5 ×3] − 1 broadcasts a per-channel vector whose
      // values are all equal: onnxruntime runs that broadcast row by row (~1 ms per op on a 192² image) but a scalar
      // in one vectorised pass, and an identity operand not at all. Same values, same output shape.
      if (uniform !== undefined) {
        const neutral = op === 'Add' || op === 'Sub' ? 0 : op === 'Mul' || op === 'Div' ? 1 : undefined;
        if (uniform === neutral) return this.set(g.node('Identity', [x], [out])[0], this.dtypeOf(x));
        return this.set(g.node(op, [x, this.derivedScalar(`uniform_${uniform}`, uniform)], [out])[0], this.dtypeOf(x));
      }
      const y = this.ref(ins[1]);
      return this.set(g.node(op, [x, y], [out])[0], this.dtypeOf(x));
    };
    switch (n.op) {
      case 'Identity':
        unary('Identity');
        return;
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        this.conv(n, ins);
        return;
      case 'MaxPool':
      case 'AvgPool':
        this.pool(n, ins);
        return;
      case 'Pad':
      case 'PadV2': {
        const p = this.constInts(ins[1]);
        const rank = p.length / 2;
        const pads = [
          ...Array.from({ length: rank }, (_, i) => p[2 * i]),
          ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]),
        ];
        const c = this.channels.get(ins[0]);
        if (n.op === 'Pad' && c && p.length === 8 && p.slice(0, 7).every((v) => v === 0) && p[7] > 0) {
          this.channelPad(ins[0], c, p[7], out);
          return;
        }
        const value = n.op === 'PadV2' ? this.ref(ins[2]) : '';
        this.set(
          g.node('Pad', [this.ref(ins[0]), this.i64('pads', pads), value], [out], { mode: 'constant' })[0],
          'float32',
        );
        return;
      }
      case 'Reshape': {
        const freeAxis = this.opts.freeSpatial?.reshapeAxes[n.name];
        if (freeAxis !== undefined && !this.constOf(ins[1])) this.fail('freeSpatial reshape needs a constant shape');
        const shapeT = this.constOf(ins[1])
          ? this.i64(
              'shape',
              this.constInts(ins[1]).map((d, i) => (i === freeAxis ? -1 : d)),
            )
          : this.castTo(ins[1], 'int64');
        this.set(g.node('Reshape', [this.ref(ins[0]), shapeT], [out])[0], this.dtypeOf(this.ref(ins[0])));
        return;
      }
      case 'ConcatV2': {
        const axis = this.constInts(ins[ins.length - 1])[0];
        const parts = ins.slice(0, -1).map((t) => this.ref(t));
        this.set(g.node('Concat', parts, [out], { axis })[0], this.dtypeOf(parts[0]));
        return;
      }
      case 'Pack': {
        const axis = Number(a.axis?.i ?? 0);
        const axes = this.i64('axes', [axis]);
        const parts = ins.map((t) => this.ref(t));
        const dtype = this.dtypeOf(parts[0]);
        if (parts.length === 1) {
          this.set(g.node('Unsqueeze', [parts[0], axes], [out])[0], dtype);
          return;
        }
        const un = parts.map((p) => g.op('Unsqueeze', [p, axes], {}, `${out}/unsqueeze`));
        this.set(g.node('Concat', un, [out], { axis })[0], dtype);
        return;
      }
      case 'Unpack': {
        const axis = Number(a.axis?.i ?? 0);
        const num = Number(a.num?.i ?? 0);
        const x = this.ref(ins[0]);
        const dtype = this.dtypeOf(x);
        const axes = this.i64('axes', [axis]);
        if (num === 1) {
          this.set(g.node('Squeeze', [x, axes], [out])[0], dtype);
          return;
        }
        const parts = Array.from({ length: num }, (_, i) => g.name(`${out}/split_${i}`));
        g.node('Split', [x], parts, { axis });
        parts.forEach((p, i) => {
          this.set(g.node('Squeeze', [p, axes], [i === 0 ? out : `${out}:${i}`])[0], dtype);
        });
        return;
      }
      case 'ExpandDims': {
        const x = this.ref(ins[0]);
        this.set(g.node('Unsqueeze', [x, this.i64('axes', this.constInts(ins[1]))], [out])[0], this.dtypeOf(x));
        return;
      }
      case 'Squeeze': {
        const x = this.ref(ins[0]);
        const dims = attrInts(a.squeeze_dims ?? a.axis);
        const inputs = dims.length ? [x, this.i64('axes', dims)] : [x];
        this.set(g.node('Squeeze', inputs, [out])[0], this.dtypeOf(x));
        return;
      }
      case 'Cast': {
        const to = tfDtype(a.DstT?.type, 'Cast');
        this.set(g.node('Cast', [this.ref(ins[0])], [out], { to: dtypeCode(to) })[0], to);
        return;
      }
      case 'ArgMax': {
        const axis = this.constInts(ins[1])[0];
        const want = a.output_type?.type ? tfDtype(a.output_type.type, 'ArgMax') : 'int64';
        const x = this.ref(ins[0]);
        if (want === 'int64') {
          this.set(g.node('ArgMax', [x], [out], { axis, keepdims: 0 })[0], 'int64');
          return;
        }
        const idx = g.op('ArgMax', [x], { axis, keepdims: 0 }, `${out}/i64`);
        this.set(g.node('Cast', [idx], [out], { to: dtypeCode(want) })[0], want);
        return;
      }
      case 'FloorDiv': {
        const x = this.ref(ins[0]);
        const y = this.ref(ins[1]);
        const dtype = this.dtypeOf(x);
        if (dtype === 'float32') {
          const q = g.op('Div', [x, y], {}, `${out}/div`);
          this.set(g.node('Floor', [q], [out])[0], dtype);
        } else {
          // ONNX integer Div truncates toward zero; TF floors. Mod with fmod=0 takes the divisor's sign (Python
          // semantics), so (x - x mod y) / y is exact floor division for every sign combination.
          const m = g.op('Mod', [x, y], { fmod: 0 }, `${out}/mod`);
          const d = g.op('Sub', [x, m], {}, `${out}/sub`);
          this.set(g.node('Div', [d, y], [out])[0], dtype);
        }
        return;
      }
      case 'GatherNd': {
        const idx = this.castTo(ins[1], 'int64');
        const x = this.ref(ins[0]);
        this.set(g.node('GatherND', [x, idx], [out], { batch_dims: 0 })[0], this.dtypeOf(x));
        return;
      }
      case 'ResizeBilinear':
        this.resize(n, ins);
        return;
      case 'Mean':
      case 'Max':
      case 'Min':
      case 'Sum': {
        const axes = this.constInts(ins[1]);
        const keepdims = a.keep_dims?.b ? 1 : 0;
        const x = this.ref(ins[0]);
        const op = { Mean: 'ReduceMean', Max: 'ReduceMax', Min: 'ReduceMin', Sum: 'ReduceSum' }[n.op] as string;
        // opset 13+ ReduceSum takes axes as an input; the others still take an attribute at opset 17
        const node =
          op === 'ReduceSum'
            ? g.node(op, [x, this.i64('axes', axes)], [out], { keepdims })
            : g.node(op, [x], [out], { axes, keepdims });
        this.set(node[0], this.dtypeOf(x));
        return;
      }
      case 'MatMul':
      case '_FusedMatMul':
        this.matmul(n, ins);
        return;
      case 'Softmax':
        this.set(g.node('Softmax', [this.ref(ins[0])], [out], { axis: -1 })[0], 'float32');
        return;
      case 'Sigmoid':
      case 'Tanh':
      case 'Relu':
      case 'Elu':
      case 'Sqrt':
      case 'Exp':
      case 'Log':
      case 'Neg':
      case 'Abs':
      case 'Floor':
        unary(n.op);
        return;
      case 'Relu6':
        this.set(this.activation('Relu6', this.ref(ins[0]), [], out, false), 'float32');
        return;
      case 'LeakyRelu':
        this.set(g.node('LeakyRelu', [this.ref(ins[0])], [out], { alpha: float(a.alpha?.f ?? 0.2) })[0], 'float32');
        return;
      case 'Rsqrt': {
        const s = g.op('Sqrt', [this.ref(ins[0])], {}, `${out}/sqrt`);
        this.set(g.node('Reciprocal', [s], [out])[0], 'float32');
        return;
      }
      case 'Square': {
        const x = this.ref(ins[0]);
        this.set(g.node('Mul', [x, x], [out])[0], this.dtypeOf(x));
        return;
      }
      case 'Prelu': {
        const alpha = this.constOf(ins[1]);
        // a [1,1,C] slope means an NHWC feature map: run it channel-first like the fused form (transposes cancel)
        if (
          alpha &&
          alpha.shape.length === 3 &&
          alpha.shape[0] === 1 &&
          alpha.shape[1] === 1 &&
          alpha.data.length > 1
        ) {
          const x = this.g.op('Transpose', [this.ref(ins[0])], { perm: TO_NCHW }, `${out}/nchw`);
          const y = this.preluAsConvs(x, ins[1], alpha.data as Float32Array, `${out}/prelu`);
          this.set(this.g.node('Transpose', [y], [out], { perm: TO_NHWC })[0], 'float32');
          return;
        }
        binary('PRelu');
        return;
      }
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
        binary('Add');
        return;
      case 'Sub':
        binary('Sub');
        return;
      case 'Mul':
        binary('Mul');
        return;
      case 'RealDiv':
      case 'Div':
        binary('Div');
        return;
      case 'Minimum':
        binary('Min');
        return;
      case 'Maximum':
        binary('Max');
        return;
      case 'Pow':
        binary('Pow');
        return;
      case 'SquaredDifference': {
        const d = g.op('Sub', [this.ref(ins[0]), this.ref(ins[1])], {}, `${out}/diff`);
        this.set(g.node('Mul', [d, d], [out])[0], 'float32');
        return;
      }
      default:
        this.fail(`unsupported op ${n.op}`);
    }
  }

  private castTo(t: string, dtype: DType): string {
    const c = this.constOf(t);
    if (c) return dtype === 'int64' ? this.g.constInt64(`${t}/i64`, this.constInts(t), c.shape) : this.ref(t);
    const x = this.ref(t);
    if (this.dtypeOf(x) === dtype) return x;
    return this.set(this.g.op('Cast', [x], { to: dtypeCode(dtype) }, `${this.node.name}/cast`), dtype);
  }

  private checkNHWC(n: TfjsNode): void {
    const fmt = b64(n.attr?.data_format?.s);
    if (fmt && fmt !== 'NHWC') this.fail(`data_format ${fmt} is not supported (NHWC only)`);
  }

  /** ONNX padding attributes for TF padding modes (SAME pads the extra pixel at the end, as SAME_UPPER does). */
  /** Kernel, stride and dilation along H and W of a conv or pool node. */
  private window(n: TfjsNode): { k: [number, number]; s: [number, number]; d: [number, number] } {
    const a = n.attr ?? {};
    const s = attrInts(a.strides);
    const d = attrInts(a.dilations);
    let k: number[];
    if (a.ksize) k = attrInts(a.ksize).slice(1, 3);
    else k = (this.constOf(this.inputsOf(n)[1])?.shape ?? [1, 1]).slice(0, 2);
    return { k: [k[0], k[1]], s: [s[1] ?? 1, s[2] ?? 1], d: d.length ? [d[1], d[2]] : [1, 1] };
  }

  /**
   * ONNX padding for a TF padding mode. SAME becomes explicit pads when the input size is known (TF puts the odd
   * pixel at the end, as SAME_UPPER does): onnxruntime keeps explicitly padded pools in its blocked NCHWc layout
   * but not auto_pad ones, which costs a layout round trip per pool.
   */
  private padAttrs(n: TfjsNode): { auto_pad?: string; pads?: number[] } {
    const padding = b64(n.attr?.padding?.s);
    if (padding === 'SAME') {
      const hw = this.spatial.get(this.inputsOf(n)[0]);
      if (!hw) return { auto_pad: 'SAME_UPPER' };
      const { k, s, d } = this.window(n);
      const before: number[] = [];
      const after: number[] = [];
      for (let i = 0; i < 2; i++) {
        const out = Math.ceil(hw[i] / s[i]);
        const total = Math.max((out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - hw[i], 0);
        before.push(Math.floor(total / 2));
        after.push(total - Math.floor(total / 2));
      }
      return { pads: [...before, ...after] };
    }
    if (padding === 'VALID') return { pads: [0, 0, 0, 0] };
    if (padding === 'EXPLICIT') {
      const p = attrInts(n.attr?.explicit_paddings);
      return { pads: [p[2], p[4], p[3], p[5]] };
    }
    this.fail(`padding ${padding} is not supported`);
  }

  /**
   * Zero-padding of the channel axis (BlazeFace/FaceMesh residuals widening 24 → 48 channels) as a 1×1 convolution
   * with identity weights: exact (x·1 + Σ 0·y), and a Conv keeps the residual Add inside onnxruntime's blocked NCHWc
   * layout where a Pad forces a layout round trip for every block after it.
   */
  private channelPad(x: string, c: number, extra: number, out: string): void {
    const g = this.g;
    const w = new Float32Array((c + extra) * c);
    for (let i = 0; i < c; i++) w[i * c + i] = 1;
    const wName = g.initializer(g.name(`${out}/identity`), w, [c + extra, c, 1, 1]);
    const xt = g.op('Transpose', [this.ref(x)], { perm: TO_NCHW }, `${out}/nchw`);
    const y = g.op('Conv', [xt, wName], { kernel_shape: [1, 1] }, `${out}/conv`);
    this.set(g.node('Transpose', [y], [out], { perm: TO_NHWC })[0], 'float32');
  }

  private inferChannels(n: TfjsNode, ins: string[]): void {
    const firstC = ins.map((t) => this.channels.get(t)).find((x) => x !== undefined);
    switch (n.op) {
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        const f = this.constOf(ins[1]);
        if (f?.shape.length === 4)
          this.channels.set(n.name, n.op.includes('Depthwise') ? f.shape[2] * f.shape[3] : f.shape[3]);
        return;
      }
      case 'Pad':
      case 'PadV2': {
        const c = this.channels.get(ins[0]);
        const p = this.constOf(ins[1]) ? this.constInts(ins[1]) : undefined;
        if (c !== undefined && p?.length === 8) this.channels.set(n.name, c + p[6] + p[7]);
        return;
      }
      case 'ConcatV2': {
        const axis = this.constInts(ins[ins.length - 1])[0];
        const cs = ins.slice(0, -1).map((t) => this.channels.get(t));
        if ((axis === 3 || axis === -1) && cs.every((c) => c !== undefined)) {
          this.channels.set(
            n.name,
            (cs as number[]).reduce((a, b) => a + b, 0),
          );
        }
        return;
      }
      case 'MaxPool':
      case 'AvgPool':
      case 'ResizeBilinear':
      case 'Identity':
      case 'Relu':
      case 'Relu6':
      case 'Elu':
      case 'LeakyRelu':
      case 'Prelu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Minimum':
      case 'Maximum':
        if (firstC !== undefined && this.spatial.has(ins[0])) this.channels.set(n.name, firstC);
        return;
      default:
    }
  }

  /** Propagates static [H, W] and channel counts through the node just converted (unknown stays unknown). */
  private inferSpatial(n: TfjsNode): void {
    const ins = this.inputsOf(n);
    this.inferChannels(n, ins);
    const first = ins.map((t) => this.spatial.get(t)).find((x) => x);
    switch (n.op) {
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
      case 'MaxPool':
      case 'AvgPool': {
        const hw = this.spatial.get(ins[0]);
        if (!hw) return;
        const { k, s, d } = this.window(n);
        const pads = this.padAttrs(n).pads;
        if (!pads) return;
        const out = [0, 1].map((i) => Math.floor((hw[i] + pads[i] + pads[i + 2] - ((k[i] - 1) * d[i] + 1)) / s[i]) + 1);
        this.spatial.set(n.name, [out[0], out[1]]);
        return;
      }
      case 'Pad':
      case 'PadV2': {
        const hw = this.spatial.get(ins[0]);
        const p = this.constOf(ins[1]) ? this.constInts(ins[1]) : undefined;
        if (hw && p && p.length === 8) this.spatial.set(n.name, [hw[0] + p[2] + p[3], hw[1] + p[4] + p[5]]);
        return;
      }
      case 'ResizeBilinear': {
        const size = this.constOf(ins[1]) ? this.constInts(ins[1]) : undefined;
        if (size?.length === 2) this.spatial.set(n.name, [size[0], size[1]]);
        return;
      }
      case 'ConcatV2': {
        const axis = this.constInts(ins[ins.length - 1])[0];
        if (first && (axis === 3 || axis === -1)) this.spatial.set(n.name, first);
        return;
      }
      case 'Identity':
      case 'Relu':
      case 'Relu6':
      case 'Elu':
      case 'LeakyRelu':
      case 'Prelu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Minimum':
      case 'Maximum':
        // elementwise: inputs either share the map's size or broadcast constants over it
        if (first) this.spatial.set(n.name, first);
        return;
      default:
    }
  }

  private conv(n: TfjsNode, ins: string[]): void {
    this.checkNHWC(n);
    const depthwise = n.op.includes('Depthwise');
    const a = n.attr ?? {};
    const strides = attrInts(a.strides);
    const dil = attrInts(a.dilations);
    const fused = (a.fused_ops?.list?.s ?? []).map(b64);
    const filter = this.constOf(ins[1]);
    if (filter?.dtype !== 'float32') this.fail('filter must be a float32 constant');
    const [kh, kw] = filter.shape;
    const oihw = hwioToOihw(filter.data as Float32Array, filter.shape, depthwise);
    const cout = oihw.dims[0];
    const wName = this.derivedFloat(ins[1], 'oihw', oihw.data, oihw.dims);
    const inputs = [this.g.op('Transpose', [this.ref(ins[0])], { perm: TO_NCHW }, `${n.name}/nchw`), wName];
    let act: string | undefined;
    const extra: string[] = [];
    if (fused.length) {
      if (fused[0] !== 'BiasAdd') this.fail(`fused ops ${fused.join(',')} are not supported`);
      const bias = this.constOf(ins[2]);
      if (!bias) this.fail('bias must be a constant');
      inputs.push(this.derivedFloat(ins[2], 'bias', bias.data as Float32Array, [cout]));
      if (fused.length > 2) this.fail(`fused ops ${fused.join(',')} are not supported`);
      act = fused[1];
      if (act === 'Prelu') extra.push(ins[3]);
    }
    const attrs = {
      ...this.padAttrs(n),
      strides: [strides[1], strides[2]],
      dilations: dil.length ? [dil[1], dil[2]] : [1, 1],
      kernel_shape: [kh, kw],
      group: oihw.group,
    };
    let y = this.g.op('Conv', inputs, attrs, `${n.name}/conv`);
    if (act) y = this.activation(act, y, extra, undefined, true);
    this.set(this.g.node('Transpose', [y], [n.name], { perm: TO_NHWC })[0], 'float32');
  }

  /**
   * Applies a tfjs fused activation. `nchw` means y is channel-first, so a per-channel PRelu slope is reshaped
   * to [C,1,1] to broadcast the same way.
   */
  private activation(act: string, y: string, extra: string[], out: string | undefined, nchw: boolean): string {
    const g = this.g;
    const name = out ?? g.name(`${this.node.name}/${act.toLowerCase()}`);
    switch (act) {
      case 'Relu':
        return g.node('Relu', [y], [name])[0];
      case 'Relu6': {
        const lo = this.derivedScalar('zero', 0);
        const hi = this.derivedScalar('six', 6);
        return g.node('Clip', [y, lo, hi], [name])[0];
      }
      case 'Sigmoid':
      case 'Tanh':
      case 'Elu':
        return g.node(act, [y], [name])[0];
      case 'LeakyRelu':
        return g.node('LeakyRelu', [y], [name], { alpha: float(this.node.attr?.leakyrelu_alpha?.f ?? 0.2) })[0];
      case 'Prelu': {
        const alpha = this.constOf(extra[0]);
        if (!alpha) this.fail('PRelu slope must be a constant');
        const data = alpha.data as Float32Array;
        if (nchw && data.length > 1) return this.preluAsConvs(y, extra[0], data, name);
        const slope = nchw ? this.derivedFloat(extra[0], 'chw', data, [1]) : this.ref(extra[0]);
        return g.node('PRelu', [y, slope], [name])[0];
      }
      default:
        this.fail(`fused activation ${act} is not supported`);
    }
  }

  /**
   * Per-channel PRelu on an NCHW map as prelu(x) = relu(x) + (−α)·relu(−x), the two scalings being depthwise 1×1
   * convolutions. onnxruntime's PRelu with a [C,1,1] slope takes a slow generic-broadcast path (over half of
   * facemesh's time) and cannot stay in its blocked NCHWc layout, while Relu/Conv/Add can; the result is bitwise
   * the same (x for x > 0, α·x otherwise).
   */
  private preluAsConvs(x: string, alphaName: string, alpha: Float32Array, out: string): string {
    const g = this.g;
    const c = alpha.length;
    const minusOne = this.derivedFloat(alphaName, 'dw_neg', new Float32Array(c).fill(-1), [c, 1, 1, 1]);
    const minusAlpha = this.derivedFloat(
      alphaName,
      'dw_neg_alpha',
      alpha.map((v) => -v),
      [c, 1, 1, 1],
    );
    const conv = { kernel_shape: [1, 1], group: c };
    const pos = g.op('Relu', [x], {}, `${out}/pos`);
    const neg = g.op('Relu', [g.op('Conv', [x, minusOne], conv, `${out}/negx`)], {}, `${out}/neg`);
    const scaled = g.op('Conv', [neg, minusAlpha], conv, `${out}/neg_scaled`);
    return g.node('Add', [pos, scaled], [out])[0];
  }

  private derivedScalar(key: string, v: number): string {
    const k = `#scalar_${key}`;
    const done = this.emitted.get(k);
    if (done) return done;
    const name = this.g.initializer(this.g.name(`const_${key}`), Float32Array.of(v), []);
    this.emitted.set(k, name);
    return name;
  }

  private pool(n: TfjsNode, ins: string[]): void {
    this.checkNHWC(n);
    const a = n.attr ?? {};
    const k = attrInts(a.ksize);
    const s = attrInts(a.strides);
    const x = this.g.op('Transpose', [this.ref(ins[0])], { perm: TO_NCHW }, `${n.name}/nchw`);
    // TF's average pool ignores padded cells
    const extra = n.op === 'AvgPool' ? { count_include_pad: 0 } : {};
    const op = n.op === 'AvgPool' ? 'AveragePool' : 'MaxPool';
    const y = this.g.op(op, [x], { ...this.padAttrs(n), kernel_shape: [k[1], k[2]], strides: [s[1], s[2]], ...extra });
    this.set(this.g.node('Transpose', [y], [n.name], { perm: TO_NHWC })[0], 'float32');
  }

  private resize(n: TfjsNode, ins: string[]): void {
    const a = n.attr ?? {};
    const mode = a.align_corners?.b ? 'align_corners' : a.half_pixel_centers?.b ? 'half_pixel' : 'asymmetric';
    const g = this.g;
    const x = g.op('Transpose', [this.ref(ins[0])], { perm: TO_NCHW }, `${n.name}/nchw`);
    // sizes = [N, C] of the input followed by the requested [H, W]
    const shape = g.op('Shape', [x], {}, `${n.name}/shape`);
    const nc = g.op('Slice', [shape, this.i64('start', [0]), this.i64('end', [2])], {}, `${n.name}/nc`);
    const sizes = g.op('Concat', [nc, this.castTo(ins[1], 'int64')], { axis: 0 }, `${n.name}/sizes`);
    const y = g.op('Resize', [x, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: mode });
    this.set(g.node('Transpose', [y], [n.name], { perm: TO_NHWC })[0], 'float32');
  }

  private matmul(n: TfjsNode, ins: string[]): void {
    const a = n.attr ?? {};
    const g = this.g;
    const fused = (a.fused_ops?.list?.s ?? []).map(b64);
    let x = this.ref(ins[0]);
    if (a.transpose_a?.b) x = g.op('Transpose', [x], { perm: [1, 0] }, `${n.name}/at`);
    let w: string;
    const wc = this.constOf(ins[1]);
    if (wc && a.transpose_b?.b) {
      const [r, c] = wc.shape;
      w = this.derivedFloat(ins[1], 't', transpose2d(wc.data as Float32Array, r, c), [c, r]);
    } else {
      w = this.ref(ins[1]);
      if (a.transpose_b?.b) w = g.op('Transpose', [w], { perm: [1, 0] }, `${n.name}/bt`);
    }
    if (!fused.length) {
      this.set(g.node('MatMul', [x, w], [n.name])[0], 'float32');
      return;
    }
    if (fused[0] !== 'BiasAdd' || fused.length > 2) this.fail(`fused ops ${fused.join(',')} are not supported`);
    let y = g.op('MatMul', [x, w], {}, `${n.name}/matmul`);
    const act = fused[1];
    y = act ? g.op('Add', [y, this.ref(ins[2])], {}, `${n.name}/bias`) : y;
    if (!act) {
      this.set(g.node('Add', [y, this.ref(ins[2])], [n.name])[0], 'float32');
      return;
    }
    this.set(this.activation(act, y, act === 'Prelu' ? [ins[3]] : [], n.name, false), 'float32');
  }
}

/**
 * Nodes in an order where every input comes first (tfjs does not promise one), keeping the file's order otherwise.
 * Inputs produced by no node are left for the converter to report.
 */
function topoSort(nodes: readonly TfjsNode[]): TfjsNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const state = new Map<string, 1 | 2>();
  const out: TfjsNode[] = [];
  const visit = (root: TfjsNode) => {
    // iterative DFS: graphs can be deeper than the JS call stack likes
    const stack: [TfjsNode, number][] = [[root, 0]];
    state.set(root.name, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const inputs = top[0].input ?? [];
      if (top[1] < inputs.length) {
        const dep = byName.get(inputs[top[1]++].replace(/^\^/, '').replace(/:\d+$/, ''));
        if (!dep || state.has(dep.name)) continue;
        state.set(dep.name, 1);
        stack.push([dep, 0]);
      } else {
        stack.pop();
        state.set(top[0].name, 2);
        out.push(top[0]);
      }
    }
  };
  for (const n of nodes) if (!state.has(n.name)) visit(n);
  return out;
}

/** Converts a decoded TFJS graph model to ONNX bytes plus the declared inputs/outputs. */
export function convertTfjsGraph(model: TfjsModelJson, weights: WeightMap, opts: ConvertOptions): ConvertedModel {
  if (model.modelTopology.library?.function?.length) {
    throw new Error('tfjs→onnx: models with control-flow functions are not supported');
  }
  return new Converter(model, weights, opts).convert();
}
