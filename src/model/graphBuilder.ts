/**
 * A small, generic builder of ONNX graphs on top of the `onnx-proto` protobuf bindings.
 *
 * Hand-written because no npm package builds ONNX models from JavaScript: `onnx-proto` only provides the message
 * classes, and the TFJS converter, the face-api expression net and the encoder/Q-Former all need the same pieces
 * (typed I/O, initializers, attributes, unique names, deterministic bytes).
 *
 * Usage:
 * ```ts
 * const g = new GraphBuilder('tiny');
 * g.input('x', 'float32', [1, 'n', 64]);            // string dims are symbolic
 * g.initializer('w', new Float32Array(64 * 8), [64, 8]);
 * g.node('MatMul', ['x', 'w'], ['y']);
 * g.node('Softmax', ['y'], ['p'], { axis: -1 });   // integer numbers become INT attributes
 * g.node('LeakyRelu', ['p'], ['q'], { alpha: float(0.1) }); // float() forces a FLOAT attribute
 * g.output('q', 'float32', [1, 'n', 8]);
 * const bytes = g.toBytes();                         // same calls -> identical bytes
 * ```
 *
 * Determinism: the serialised model depends only on the calls made, in order. No timestamps, no random ids;
 * generated names come from a per-graph counter (`g.name('prefix')`).
 */
import onnxPkg, { type onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxPkg;

export type { Onnx };
export { onnx };

/** ONNX opset the project targets (onnxruntime-node 1.30 supports it fully; axes are still attributes on Reduce*). */
export const DEFAULT_OPSET = 17;
/** IR version 8 is the one that goes with opset 17 (ONNX 1.12+); it is also the newest onnx-proto 8.0.1 knows. */
export const IR_VERSION = 8;

export type DType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'bool';
/** A dimension: a fixed size, or a symbolic name (e.g. 'batch'). */
export type Dim = number | string;

const DTYPE_CODE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  int16: onnx.TensorProto.DataType.INT16,
  uint16: onnx.TensorProto.DataType.UINT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** ONNX element-type code of a dtype name. */
export function dtypeCode(dtype: DType): number {
  return DTYPE_CODE[dtype];
}

/** Typed arrays accepted as initializer data; the array type fixes the ONNX element type unless one is given. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | BigInt64Array;

function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  return 'int64';
}

/** Forces a FLOAT attribute (a plain integer number would become INT). */
export class FloatAttr {
  constructor(readonly value: number) {}
}
/** Forces a FLOATS attribute (a plain array of integers would become INTS). */
export class FloatsAttr {
  constructor(readonly values: readonly number[]) {}
}
/** A TENSOR attribute (e.g. for `Constant` or `ConstantOfShape`). */
export class TensorAttr {
  constructor(
    readonly data: TensorData,
    readonly dims: readonly number[],
  ) {}
}
export const float = (v: number): FloatAttr => new FloatAttr(v);
export const floats = (v: readonly number[]): FloatsAttr => new FloatsAttr(v);
export const tensorAttr = (data: TensorData, dims: readonly number[]): TensorAttr => new TensorAttr(data, dims);

/**
 * Attribute values: integer numbers → INT, other numbers → FLOAT, strings → STRING, arrays of numbers → INTS
 * when all are integers else FLOATS, arrays of strings → STRINGS; use `float()`/`floats()` to force floats.
 */
export type AttrValue = number | string | readonly number[] | readonly string[] | FloatAttr | FloatsAttr | TensorAttr;
export type Attrs = Record<string, AttrValue | undefined>;

export interface GraphBuilderOptions {
  opset?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

function tensorProto(name: string, data: TensorData, dims: readonly number[], dtype?: DType): Onnx.TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`tensor ${name}: ${data.length} values do not fill dims [${dims.join(',')}] (${count})`);
  }
  // raw_data is little-endian; every machine Node runs on here is little-endian, so the typed array bytes are it.
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: DTYPE_CODE[dtype ?? dtypeOf(data)],
    rawData: raw,
  });
}

function valueInfo(name: string, dtype: DType, shape: readonly Dim[] | undefined): Onnx.ValueInfoProto {
  const tensorType: Onnx.TypeProto.ITensor = { elemType: DTYPE_CODE[dtype] };
  if (shape) {
    tensorType.shape = {
      dim: shape.map((d) => (typeof d === 'number' && d >= 0 ? { dimValue: d } : { dimParam: String(d) })),
    };
  }
  return onnx.ValueInfoProto.create({ name, type: { tensorType } });
}

function attribute(name: string, v: AttrValue): Onnx.AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (v instanceof FloatAttr) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.value });
  if (v instanceof FloatsAttr) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: [...v.values] });
  if (v instanceof TensorAttr) {
    return onnx.AttributeProto.create({ name, type: T.TENSOR, t: tensorProto('', v.data, v.dims) });
  }
  if (typeof v === 'string') {
    return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  }
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? onnx.AttributeProto.create({ name, type: T.INT, i: v })
      : onnx.AttributeProto.create({ name, type: T.FLOAT, f: v });
  }
  if (v.length > 0 && typeof v[0] === 'string') {
    const enc = new TextEncoder();
    return onnx.AttributeProto.create({ name, type: T.STRINGS, strings: (v as string[]).map((s) => enc.encode(s)) });
  }
  const nums = v as readonly number[];
  return nums.every((x) => Number.isInteger(x))
    ? onnx.AttributeProto.create({ name, type: T.INTS, ints: [...nums] })
    : onnx.AttributeProto.create({ name, type: T.FLOATS, floats: [...nums] });
}

export class GraphBuilder {
  readonly opset: number;
  private readonly inputs: Onnx.ValueInfoProto[] = [];
  private readonly outputs: Onnx.ValueInfoProto[] = [];
  private readonly inits: Onnx.TensorProto[] = [];
  private readonly nodes: Onnx.NodeProto[] = [];
  private readonly valueInfos: Onnx.ValueInfoProto[] = [];
  /** Every tensor name defined so far (inputs, initializers, node outputs) → true. */
  private readonly defined = new Set<string>();
  private readonly reserved = new Set<string>();
  private readonly initData = new Map<string, { data: TensorData; dims: readonly number[] }>();
  private readonly counters = new Map<string, number>();
  private nodeCount = 0;

  constructor(
    readonly graphName: string,
    private readonly options: GraphBuilderOptions = {},
  ) {
    this.opset = options.opset ?? DEFAULT_OPSET;
  }

  /**
   * Marks names that callers will define themselves later (e.g. a converted model's own tensor names), so that
   * `name()` never hands them out.
   */
  reserve(names: Iterable<string>): void {
    for (const n of names) this.reserved.add(n);
  }

  /** A fresh tensor/node name `prefix`, `prefix_1`, … that collides with nothing defined or reserved so far. */
  name(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let candidate = n === 0 ? prefix : `${prefix}_${n}`;
    while (this.defined.has(candidate) || this.reserved.has(candidate)) {
      n++;
      candidate = `${prefix}_${n}`;
    }
    this.counters.set(prefix, n + 1);
    return candidate;
  }

  /** True when a tensor of this name is already defined. */
  has(name: string): boolean {
    return this.defined.has(name);
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: readonly Dim[]): string {
    this.define(name);
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Declares a graph output (the tensor must be produced by the graph; shape is optional documentation + checks). */
  output(name: string, dtype: DType, shape?: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Adds a constant tensor. The dtype defaults to the typed array's (Float32Array → float32, BigInt64Array → int64). */
  initializer(name: string, data: TensorData, dims: readonly number[], dtype?: DType): string {
    this.define(name);
    this.inits.push(tensorProto(name, data, dims, dtype));
    this.initData.set(name, { data, dims });
    return name;
  }

  /** The data of an initializer added earlier (for constant folding in converters), or undefined. */
  initializerValue(name: string): { data: TensorData; dims: readonly number[] } | undefined {
    return this.initData.get(name);
  }

  /** Shorthand: a float32 constant with a generated name. */
  constFloat(prefix: string, values: readonly number[] | Float32Array, dims?: readonly number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.initializer(this.name(prefix), data, dims ?? [data.length]);
  }

  /** Shorthand: an int64 constant (shapes, axes, pads) with a generated name. */
  constInt64(prefix: string, values: readonly number[], dims?: readonly number[]): string {
    return this.initializer(
      this.name(prefix),
      BigInt64Array.from(values.map((v) => BigInt(v))),
      dims ?? [values.length],
    );
  }

  /**
   * Adds a node. Inputs may be '' for an omitted optional input. Returns the output names.
   * `name` defaults to a generated one derived from the first output.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Attrs = {},
    name?: string,
  ): string[] {
    for (const o of outputs) this.define(o);
    const attribute_ = Object.keys(attrs)
      .filter((k) => attrs[k] !== undefined)
      .map((k) => attribute(k, attrs[k] as AttrValue));
    this.nodes.push(
      onnx.NodeProto.create({
        name: name ?? `${opType}_${this.nodeCount}`,
        opType,
        input: [...inputs],
        output: [...outputs],
        attribute: attribute_,
      }),
    );
    this.nodeCount++;
    return [...outputs];
  }

  /** Adds a node with one generated output name and returns it (the common case). */
  op(opType: string, inputs: readonly string[], attrs: Attrs = {}, outPrefix?: string): string {
    const out = this.name(outPrefix ?? opType.toLowerCase());
    this.node(opType, inputs, [out], attrs);
    return out;
  }

  /** Optional type/shape annotation of an intermediate tensor. */
  valueInfo(name: string, dtype: DType, shape?: readonly Dim[]): void {
    this.valueInfos.push(valueInfo(name, dtype, shape));
  }

  /** The model message (fresh each call). */
  toModel(): Onnx.ModelProto {
    for (const o of this.outputs) {
      if (!this.defined.has(o.name)) throw new Error(`graph ${this.graphName}: output ${o.name} is never produced`);
    }
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: this.options.producerName ?? 'microemo',
      producerVersion: this.options.producerVersion ?? '1',
      docString: this.options.docString ?? '',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: onnx.GraphProto.create({
        name: this.graphName,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.inits,
        valueInfo: this.valueInfos,
      }),
    });
  }

  /** Serialised model bytes (ready for onnxruntime's `InferenceSession.create(bytes)` or a `.onnx` file). */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.toModel()).finish();
  }

  private define(name: string): void {
    if (!name) throw new Error(`graph ${this.graphName}: empty tensor name`);
    if (this.defined.has(name)) throw new Error(`graph ${this.graphName}: tensor ${name} defined twice`);
    this.defined.add(name);
  }
}
