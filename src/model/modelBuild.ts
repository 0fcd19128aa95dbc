/**
 * Builds `models/*.onnx` from the pretrained weights shipped in npm packages and writes `models/manifest.json`.
 * The build is deterministic (same package versions → identical bytes), so the manifest's sha256 values double as
 * a check that a file on disk is the one this code produces.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFaceExpressionNet, FACE_EXPRESSION_LABELS, loadFaceApiWeights } from './faceExpressionNet.ts';
import { type ConvertOptions, convertTfjsGraph, type TensorInfo } from './tfjsConverter.ts';
import { loadTfjsModel } from './tfjsWeights.ts';

const require = createRequire(import.meta.url);

/** Default output folder: `<repo>/models`. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));
export const MANIFEST_FILE = 'manifest.json';

/** Human's emotion net class order (its `annotations`). */
export const HUMAN_EMOTION_LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;

export type ModelName =
  | 'blazeface'
  | 'facemesh'
  | 'iris'
  | 'emotion'
  | 'faceres'
  | 'antispoof'
  | 'liveness'
  | 'movenet'
  | 'faceexpression';

export interface TfjsModelSpec {
  kind: 'tfjs';
  name: ModelName;
  package: '@vladmandic/human';
  /** Model JSON inside the package. */
  json: string;
  convert?: Omit<ConvertOptions, 'name'>;
  labels?: readonly string[];
}

export interface FaceApiModelSpec {
  kind: 'face-api';
  name: 'faceexpression';
  package: '@vladmandic/face-api';
  manifest: string;
  labels: readonly string[];
}

export type ModelSpec = TfjsModelSpec | FaceApiModelSpec;

const EMOTION = 'StatefulPartitionedCall/model_1/';

/** Every model the project ships, in build order. */
export const MODEL_SPECS: readonly ModelSpec[] = [
  {
    kind: 'tfjs',
    name: 'blazeface',
    package: '@vladmandic/human',
    json: 'models/blazeface.json',
    // two anchor grids: 512 anchors (16×16×2, stride 16) and 384 (8×8×6, stride 32) for a 256×256 input; Human
    // concatenates 512 then 384. The input size is free (multiples of 32): a 4:3 frame letterboxed into 256×192
    // instead of 256×256 costs 3/4 of the compute (blazeFace.ts); the outputs keep their 256×256 names.
    convert: {
      outputNames: {
        'Identity:0': 'scores_512',
        'Identity_2:0': 'boxes_512',
        'Identity_1:0': 'scores_384',
        'Identity_3:0': 'boxes_384',
      },
      freeSpatial: {
        dims: ['height', 'width'],
        reshapeAxes: {
          'StatefulPartitionedCall/functional_1/tf_op_layer_classificators_1/classificators_1': 1,
          'StatefulPartitionedCall/functional_1/tf_op_layer_classificators_2/classificators_2': 1,
          'StatefulPartitionedCall/functional_1/tf_op_layer_regressors_1/regressors_1': 1,
          'StatefulPartitionedCall/functional_1/tf_op_layer_regressors_2/regressors_2': 1,
        },
      },
      outputShapes: {
        scores_512: [1, 'anchors16', 1],
        boxes_512: [1, 'anchors16', 16],
        scores_384: [1, 'anchors32', 1],
        boxes_384: [1, 'anchors32', 16],
      },
    },
  },
  { kind: 'tfjs', name: 'facemesh', package: '@vladmandic/human', json: 'models/facemesh.json' },
  {
    kind: 'tfjs',
    name: 'iris',
    package: '@vladmandic/human',
    json: 'models/iris.json',
    convert: { outputNames: { 'Identity:0': 'landmarks' } },
  },
  {
    kind: 'tfjs',
    name: 'emotion',
    package: '@vladmandic/human',
    json: 'models/emotion.json',
    labels: HUMAN_EMOTION_LABELS,
    convert: {
      outputNames: { 'Identity:0': 'probs' },
      extraOutputs: {
        // pre-softmax class scores (the global average of the last 7-channel conv)
        logits: { tensor: `${EMOTION}global_average_pooling2d_1/Mean`, shape: ['batch', 7] },
        // appearance embedding: the 256-channel map entering the classifier conv, averaged over space
        embedding: { tensor: `${EMOTION}add_2/add`, reduce: 'spatialMean', shape: ['batch', 256] },
      },
    },
  },
  {
    kind: 'tfjs',
    name: 'faceres',
    package: '@vladmandic/human',
    json: 'models/faceres.json',
    convert: {
      outputNames: {
        'gender_pred/Sigmoid:0': 'gender',
        'global_pooling/Mean': 'descriptor',
        'age_pred/Softmax:0': 'age',
      },
    },
  },
  {
    kind: 'tfjs',
    name: 'antispoof',
    package: '@vladmandic/human',
    json: 'models/antispoof.json',
    convert: { outputNames: { activation_4: 'score' } },
  },
  {
    kind: 'tfjs',
    name: 'liveness',
    package: '@vladmandic/human',
    json: 'models/liveness.json',
    convert: { outputNames: { activation_6: 'probs' } },
  },
  {
    kind: 'tfjs',
    name: 'movenet',
    package: '@vladmandic/human',
    json: 'models/movenet-lightning.json',
    // [1,1,17,3]: per keypoint (y, x, score), y/x normalised to the input
    convert: { outputNames: { 'Identity:0': 'keypoints' } },
  },
  {
    kind: 'face-api',
    name: 'faceexpression',
    package: '@vladmandic/face-api',
    manifest: 'model/face_expression_model-weights_manifest.json',
    labels: FACE_EXPRESSION_LABELS,
  },
];

export interface ManifestEntry {
  file: string;
  sha256: string;
  bytes: number;
  source: { package: string; version: string; files: string[] };
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  labels?: string[];
}

export interface ModelsManifest {
  version: 1;
  opset: number;
  models: Record<string, ManifestEntry>;
}

/**
 * Root folder of an installed package, found the way Node looks for packages (node_modules of this folder and its
 * parents). `require.resolve('<pkg>/package.json')` cannot be used: the packages' `exports` hide package.json.
 */
export function packageRoot(pkg: string): string {
  for (const base of require.resolve.paths(pkg) ?? []) {
    if (existsSync(join(base, pkg, 'package.json'))) return join(base, pkg);
  }
  throw new Error(`package ${pkg} is not installed (run npm install)`);
}

function packageVersion(pkg: string): string {
  return (JSON.parse(readFileSync(join(packageRoot(pkg), 'package.json'), 'utf8')) as { version: string }).version;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface BuiltModel {
  spec: ModelSpec;
  bytes: Uint8Array;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  sourceFiles: string[];
}

/** Converts one model in memory (no files written). */
export function buildModel(spec: ModelSpec): BuiltModel {
  const root = packageRoot(spec.package);
  if (spec.kind === 'face-api') {
    const manifestPath = join(root, spec.manifest);
    const built = buildFaceExpressionNet(loadFaceApiWeights(manifestPath));
    const shards = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { paths: string[] }[]).flatMap((g) => g.paths);
    const base = dirname(spec.manifest);
    return { spec, ...built, sourceFiles: [spec.manifest, ...shards.map((p) => join(base, p))] };
  }
  const loaded = loadTfjsModel(join(root, spec.json));
  const conv = convertTfjsGraph(loaded.json, loaded.weights, {
    name: spec.name,
    docString: `${spec.package}/${spec.json} converted by microemo`,
    ...spec.convert,
  });
  const base = dirname(spec.json);
  return {
    spec,
    bytes: conv.bytes,
    inputs: conv.inputs,
    outputs: conv.outputs,
    sourceFiles: [spec.json, ...loaded.files.shards.map((s) => join(base, s.path))],
  };
}

export interface BuildOptions {
  outDir?: string;
  /** Build only these models (the manifest keeps the other entries already in it). */
  only?: readonly string[];
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

function readManifest(dir: string): ModelsManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as ModelsManifest;
  } catch {
    return undefined;
  }
}

/** Writes through a temp file + rename so a crashed build never leaves a half-written model behind. */
function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** Builds the models into `outDir` and writes the manifest; returns it. */
export function buildModels(opts: BuildOptions = {}): ModelsManifest {
  const dir = opts.outDir ?? DEFAULT_MODELS_DIR;
  const log = opts.log ?? (() => {});
  const known = new Set(MODEL_SPECS.map((s) => s.name as string));
  for (const n of opts.only ?? []) {
    if (!known.has(n)) throw new Error(`unknown model "${n}" (known: ${[...known].join(', ')})`);
  }
  mkdirSync(dir, { recursive: true });
  const previous = opts.only ? readManifest(dir) : undefined;
  const models: Record<string, ManifestEntry> = {};
  const specs = MODEL_SPECS.filter((s) => !opts.only || opts.only.includes(s.name));
  specs.forEach((spec, i) => {
    const t0 = performance.now();
    const built = buildModel(spec);
    const file = `${spec.name}.onnx`;
    writeAtomic(join(dir, file), built.bytes);
    const entry: ManifestEntry = {
      file,
      sha256: sha256(built.bytes),
      bytes: built.bytes.length,
      source: { package: spec.package, version: packageVersion(spec.package), files: built.sourceFiles },
      inputs: built.inputs,
      outputs: built.outputs,
    };
    if (spec.labels) entry.labels = [...spec.labels];
    models[spec.name] = entry;
    const mb = (built.bytes.length / 1e6).toFixed(1);
    log(`[${i + 1}/${specs.length}] ${file} ${mb} MB in ${(performance.now() - t0).toFixed(0)} ms`);
  });
  // keep manifest order = MODEL_SPECS order so partial rebuilds give the same bytes as full ones
  const merged: Record<string, ManifestEntry> = {};
  for (const s of MODEL_SPECS) {
    const e = models[s.name] ?? previous?.models[s.name];
    if (e) merged[s.name] = e;
  }
  const manifest: ModelsManifest = { version: 1, opset: 17, models: merged };
  writeAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`wrote ${join(dir, MANIFEST_FILE)} (${Object.keys(merged).length} models)`);
  return manifest;
}
