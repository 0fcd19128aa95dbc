/**
 * Reading TFJS graph models from disk: the model JSON and its weight shards, decoded to plain typed arrays.
 *
 * Hand-written (rather than `tf.io` + `tf.loadGraphModel`) so that model conversion needs no tfjs at run time and
 * decodes exactly as tfjs does: shards of a group are one concatenated buffer, weights follow in manifest order,
 * float16 / uint8 / uint16 quantised weights are expanded to their original dtype (value = q · scale + min).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type TfjsDType = 'float32' | 'int32' | 'bool';

export interface TfjsQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
  original_dtype?: string;
}

export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: TfjsQuantization;
}

export interface TfjsWeightsGroup {
  paths: string[];
  weights: TfjsWeightEntry[];
}

export interface TfjsAttrValue {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
  tensor?: { dtype?: string; tensorShape?: { dim?: { size: string | number }[] } };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; b?: boolean[]; type?: string[] };
}

export interface TfjsNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfjsAttrValue>;
  device?: string;
}

export interface TfjsSignatureEntry {
  name: string;
  dtype: string;
  tensorShape?: { dim?: { size: string | number }[] };
}

export interface TfjsSignature {
  inputs?: Record<string, TfjsSignatureEntry>;
  outputs?: Record<string, TfjsSignatureEntry>;
}

export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: TfjsSignature;
  /** Some converters put the signature here instead. */
  userDefinedMetadata?: { signature?: TfjsSignature };
  modelTopology: { node: TfjsNode[]; library?: { function?: unknown[] }; versions?: unknown };
  weightsManifest: TfjsWeightsGroup[];
}

export interface DecodedWeight {
  dtype: TfjsDType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export type WeightMap = Map<string, DecodedWeight>;

/** IEEE 754 half → float. Node 20 has no Float16Array, so the bits are expanded by hand. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Decodes the weights of every group from the concatenated shard bytes of that group. */
export function decodeWeights(manifest: TfjsWeightsGroup[], groupBytes: Uint8Array[]): WeightMap {
  const out: WeightMap = new Map();
  manifest.forEach((group, gi) => {
    const bytes = groupBytes[gi];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const stored = q ? q.dtype : w.dtype;
      const width = BYTES[stored];
      if (width === undefined) throw new Error(`weight ${w.name}: unsupported stored dtype ${stored}`);
      if (w.dtype !== 'float32' && w.dtype !== 'int32' && w.dtype !== 'bool') {
        throw new Error(`weight ${w.name}: unsupported dtype ${w.dtype}`);
      }
      const need = count * width;
      if (offset + need > bytes.byteLength) {
        throw new Error(`weight ${w.name}: shard data ends at ${bytes.byteLength} bytes, need ${offset + need}`);
      }
      const values = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const p = offset + i * width;
        switch (stored) {
          case 'float32':
            values[i] = view.getFloat32(p, true);
            break;
          case 'int32':
            values[i] = view.getInt32(p, true);
            break;
          case 'bool':
          case 'uint8':
            values[i] = view.getUint8(p);
            break;
          case 'uint16':
            values[i] = view.getUint16(p, true);
            break;
          case 'float16':
            values[i] = halfToFloat(view.getUint16(p, true));
            break;
        }
        if (q && q.dtype !== 'float16') values[i] = values[i] * (q.scale ?? 1) + (q.min ?? 0);
      }
      offset += need;
      let data: Float32Array | Int32Array | Uint8Array;
      if (w.dtype === 'float32') data = Float32Array.from(values);
      // tfjs rounds dequantised integers back to whole numbers
      else if (w.dtype === 'int32') data = Int32Array.from(values, (v) => Math.round(v));
      else data = Uint8Array.from(values, (v) => (v ? 1 : 0));
      out.set(w.name, { dtype: w.dtype as TfjsDType, shape: [...w.shape], data });
    }
  });
  return out;
}

export interface LoadedTfjsModel {
  json: TfjsModelJson;
  weights: WeightMap;
  /** Raw bytes of the JSON and the shards, in manifest order (for hashing and for feeding tfjs in tests). */
  files: { json: Uint8Array; shards: { path: string; bytes: Uint8Array }[] };
}

/** Reads a TFJS graph model (`model.json` + shards named in its manifest, relative to it). */
export function loadTfjsModel(jsonPath: string): LoadedTfjsModel {
  const jsonBytes = readFileSync(jsonPath);
  const json = JSON.parse(jsonBytes.toString('utf8')) as TfjsModelJson;
  if (!json.modelTopology?.node || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${jsonPath}: not a TFJS graph model (no modelTopology.node / weightsManifest)`);
  }
  const dir = dirname(jsonPath);
  const shards: { path: string; bytes: Uint8Array }[] = [];
  const groupBytes = json.weightsManifest.map((g) => {
    const parts = g.paths.map((p) => {
      const bytes = new Uint8Array(readFileSync(join(dir, p)));
      shards.push({ path: p, bytes });
      return bytes;
    });
    return parts.length === 1 ? parts[0] : new Uint8Array(Buffer.concat(parts));
  });
  return {
    json,
    weights: decodeWeights(json.weightsManifest, groupBytes),
    files: { json: new Uint8Array(jsonBytes), shards },
  };
}
