/**
 * `npm run bench -- models [name,...]`: per model, median and p95 latency of one inference on one thread, on
 * onnxruntime (the converted .onnx) and on tfjs with the wasm backend (the original model, single-threaded), on a
 * real face photo. Models are built into a temp folder first, so the numbers are for this checkout's converter.
 *
 * Face-stack metrics (`stack_track_ms`, `stack_detect_ms`) need the vision primitives: when
 * `bench/lib/faceStack.ts` exists and exports `measureFaceStack(cache, modelsDir)` returning
 * `Record<string, number>`, its metrics are merged into this suite's JSON line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildModels, MODEL_SPECS, packageRoot, type TfjsModelSpec } from '../src/model/modelBuild.ts';
import { OrtSessionCache } from '../src/model/ortSession.ts';
import { loadTfjsModel } from '../src/model/tfjsWeights.ts';
import { facePhotos, humanPreprocess, loadGraphModel, photoRgb, tfjs } from '../test/model/tfjsReference.ts';
import { median, percentile, timeRuns } from './lib/stats.ts';

const only = process.argv[2]?.split(',').filter(Boolean);
const specs = MODEL_SPECS.filter((s) => !only || only.includes(s.name));
/** Fewer runs for the big models keep the suite around a minute on a shared 2-core machine. */
const RUNS: Record<string, number> = { faceres: 30, movenet: 30, blazeface: 50, iris: 50 };
const runsFor = (name: string) => RUNS[name] ?? 100;

const dir = mkdtempSync(join(tmpdir(), 'microemo-bench-models-'));
const metrics: Record<string, number> = {};
const cache = new OrtSessionCache({ intraOpThreads: 1, warmupRuns: 1 });
try {
  buildModels({ outDir: dir, only: specs.map((s) => s.name) });
  const { tf, faceapi } = await tfjs();
  const wasmDir = `${join(packageRoot('@tensorflow/tfjs-backend-wasm'), 'dist')}/`;
  // the same CJS module instance face-api registered the backend from
  const wasm = createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmDir);
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
  await tf.ready();
  const photo = facePhotos()[0];
  console.log(`models on one thread: onnxruntime ${ort.env.versions.common} vs tfjs ${tf.version.tfjs} wasm`);
  console.log('model            ort p50   ort p95  tfjs p50  tfjs p95  tfjs/ort');

  for (const spec of specs) {
    const m = await cache.model(spec.name, dir);
    const input = m.inputs[0];
    // a free spatial size (BlazeFace: height × width) is timed at its native 256 × 256
    const [, h, w, c] = input.shape.map((d) => (typeof d === 'number' ? d : 256));
    const data = humanPreprocess(spec.name, await photoRgb(photo, w, h));
    const feeds = { [input.name]: new ort.Tensor(input.type as 'float32', data, [1, h, w, c]) };
    const ortMs = await timeRuns(runsFor(spec.name), () => m.run(feeds));

    const x = tf.tensor(data, [1, h, w, c], input.type === 'int32' ? 'int32' : 'float32');
    let tfjsMs: number[];
    let dispose: () => void;
    if (spec.kind === 'tfjs') {
      const graph = await loadGraphModel(
        tf,
        loadTfjsModel(join(packageRoot(spec.package), (spec as TfjsModelSpec).json)),
      );
      const inputName = graph.inputs[0].name;
      tfjsMs = await timeRuns(runsFor(spec.name), async () => {
        const out = graph.execute({ [inputName]: x });
        const list = Array.isArray(out) ? out : [out];
        for (const t of list) await t.data();
        tf.dispose(list);
      });
      dispose = () => graph.dispose();
    } else {
      const manifestPath = join(
        packageRoot('@vladmandic/face-api'),
        'model',
        'face_expression_model-weights_manifest.json',
      );
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      const bin = readFileSync(join(packageRoot('@vladmandic/face-api'), 'model', manifest[0].paths[0]));
      const net = new faceapi.FaceExpressionNet();
      net.loadFromWeightMap(
        tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), manifest[0].weights),
      );
      const netInput = await faceapi.toNetInput(x);
      tfjsMs = await timeRuns(runsFor(spec.name), async () => {
        const out = net.forwardInput(netInput);
        await out.data();
        out.dispose();
      });
      dispose = () => net.dispose();
    }
    x.dispose();
    dispose();
    const o50 = median(ortMs);
    const t50 = median(tfjsMs);
    metrics[`ort_ms.${spec.name}`] = Number(o50.toFixed(3));
    metrics[`ort_p95_ms.${spec.name}`] = Number(percentile(ortMs, 95).toFixed(3));
    metrics[`tfjs_ms.${spec.name}`] = Number(t50.toFixed(3));
    metrics[`tfjs_p95_ms.${spec.name}`] = Number(percentile(tfjsMs, 95).toFixed(3));
    metrics[`ratio.${spec.name}`] = Number((t50 / o50).toFixed(2));
    console.log(
      `${spec.name.padEnd(15)} ${o50.toFixed(2).padStart(7)} ${percentile(ortMs, 95).toFixed(2).padStart(9)} ${t50
        .toFixed(2)
        .padStart(9)} ${percentile(tfjsMs, 95).toFixed(2).padStart(9)} ${(t50 / o50).toFixed(1).padStart(8)}×`,
    );
  }

  // hook for the face stack (vision primitives + these models); see the header comment
  const hook = new URL('./lib/faceStack.ts', import.meta.url);
  if (existsSync(hook)) {
    const mod = (await import(hook.href)) as {
      measureFaceStack?: (c: OrtSessionCache, modelsDir: string) => Promise<Record<string, number>>;
    };
    if (mod.measureFaceStack) Object.assign(metrics, await mod.measureFaceStack(cache, dir));
  } else {
    console.log('face stack: bench/lib/faceStack.ts not present yet (stack_track_ms / stack_detect_ms not measured)');
  }
} finally {
  await cache.releaseAll();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ suite: 'models', metrics }));
