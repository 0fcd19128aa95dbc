/**
 * Pipeline benchmark: N concurrent 640×480 30 fps streams (file sources paced in real time, live mode: drops when
 * behind) through the whole pipeline on this machine's worker pool. Reports per N: frames analysed per second per
 * stream, drop ratio, CPU per stream, RSS per stream, event-loop delay p99, frame arrival → face.frame latency.
 * Metrics: realtime_streams (largest N with drop ratio < 5 % and ≥ 25 fps analysed), core_per_stream,
 * rss_mb_per_stream, loop_delay_ms_p99, frame_to_event_ms_p95.
 * Usage: npm run bench -- pipeline [--seconds 60] [--streams 1,2,4,6]
 * (WHIP streams from Chromium are not part of this suite yet: the WHIP ingest is not built.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventBus } from '../src/events/bus.ts';
import { rootLogger } from '../src/events/logger.ts';
import { openFileSource } from '../src/ingest/fileSource.ts';
import { defaultBranches } from '../src/pipeline/branchFactory.ts';
import { EmotionModelHost } from '../src/pipeline/modelEmotionBranch.ts';
import { PipelineManager } from '../src/pipeline/pipelineManager.ts';
import { WorkerPool } from '../src/pipeline/workerPool.ts';
import { makeFaceClip, makeSpeechWav } from '../test/harness/clips.ts';
import { cpuSeconds, percentile } from './lib/stats.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const seconds = Number(arg('seconds', '30'));
const counts = arg('streams', '1,2,4,6').split(',').map(Number);

const dir = mkdtempSync(join(tmpdir(), 'microemo-bench-pipeline-'));
const speech = makeSpeechWav(join(dir, 'speech'), {
  lead: 0.5,
  phrases: [
    ['We should talk about the plan for next week.', 1.0],
    ['I think it is going well, honestly.', 1.5],
  ],
});
const clip = makeFaceClip(dir, speech.path, seconds + 2, 30);

interface Row {
  n: number;
  fps: number;
  drop: number;
  corePerStream: number;
  rssMbPerStream: number;
  loopP99: number;
  latP50: number;
  latP95: number;
}

async function runN(n: number): Promise<Row> {
  const bus = new EventBus({ validate: false });
  const pool = new WorkerPool(new URL('../src/pipeline/visionWorker.ts', import.meta.url), availableParallelism());
  await Promise.all(Array.from({ length: pool.size }, (_, i) => pool.run(`w${i}`, 'warmup', null)));
  for (let i = 0; i < pool.size; i++) await pool.release(`w${i}`);
  const model = await EmotionModelHost.start({ imageEmbeddingDim: 0 });
  const manager = new PipelineManager(bus, pool, defaultBranches(model), rootLogger());
  const arrivals = new Map<string, Map<number, number>>();
  const lat: number[] = [];
  bus.onType('face.frame', (e) => {
    const at = arrivals.get(e.streamId)?.get(e.t);
    if (at !== undefined) lat.push(performance.now() - at);
  });
  const health: { fpsAnalysed: number; dropRatio: number }[] = [];
  bus.onType('stream.health', (e) => health.push(e));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const rss0 = process.memoryUsage().rss;
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  loop.enable();
  const pipelines: ReturnType<PipelineManager['attach']>[] = [];
  const sources: Awaited<ReturnType<typeof openFileSource>>[] = [];
  for (let i = 0; i < n; i++) {
    const src = await openFileSource(clip, { streamId: `s${n}-${i}`, room: 'bench', realtime: true });
    const arr = new Map<number, number>();
    arrivals.set(src.info.streamId, arr);
    src.on('video', (f) => arr.set(f.t, performance.now()));
    pipelines.push(manager.attach(src, { mode: 'live', healthIntervalS: 5 }));
    sources.push(src);
  }
  for (const s of sources) s.start();
  const timer = setTimeout(() => void Promise.all(sources.map((s) => s.stop('eof'))), seconds * 1000);
  await Promise.all(pipelines.map((p) => p.done));
  clearTimeout(timer);
  loop.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpuMain = cpuSeconds() - cpu0;
  const rss = process.memoryUsage().rss;
  await pool.close();
  await model.close();
  // process.cpuUsage covers every thread of the process (main + vision workers); ffmpeg children are separate
  // processes and are not counted here (≈0.05 core per 640×480 stream measured in the ingest facts).
  const late = health.filter((h) => h.fpsAnalysed > 0);
  const fps = late.length ? late.reduce((s, h) => s + h.fpsAnalysed, 0) / late.length : 0;
  const drop = late.length ? late.reduce((s, h) => s + h.dropRatio, 0) / late.length : 1;
  return {
    n,
    fps,
    drop,
    corePerStream: cpuMain / wall / n,
    rssMbPerStream: Math.max(0, rss - rss0) / 1e6 / n,
    // the histogram records whole sampling intervals: subtract the 5 ms resolution to get the delay
    loopP99: loop.percentile(99) / 1e6 - 5,
    latP50: percentile(lat, 50),
    latP95: percentile(lat, 95),
  };
}

try {
  const rows: Row[] = [];
  for (const n of counts) {
    const r = await runN(n);
    rows.push(r);
    console.log(
      `${n} stream(s), ${seconds} s: ${r.fps.toFixed(1)} fps analysed/stream, drops ${(r.drop * 100).toFixed(1)} %, ` +
        `${r.corePerStream.toFixed(2)} core/stream (in-process), RSS +${r.rssMbPerStream.toFixed(0)} MB/stream, ` +
        `loop p99 ${r.loopP99.toFixed(1)} ms, frame→face.frame p50 ${r.latP50.toFixed(1)} ms p95 ${r.latP95.toFixed(1)} ms`,
    );
  }
  const ok = rows.filter((r) => r.drop < 0.05 && r.fps >= 25);
  const best = ok.length ? Math.max(...ok.map((r) => r.n)) : 0;
  const ref = rows.find((r) => r.n === best) ?? rows[0];
  console.log(`real-time streams on ${availableParallelism()} cores: ${best} (target ≥ 4)`);
  console.log(
    JSON.stringify({
      suite: 'pipeline',
      metrics: {
        realtime_streams: best,
        core_per_stream: Number(rows[0].corePerStream.toFixed(3)),
        rss_mb_per_stream: Number(ref.rssMbPerStream.toFixed(1)),
        loop_delay_ms_p99: Number(Math.max(...rows.map((r) => r.loopP99)).toFixed(2)),
        frame_to_event_ms_p95: Number(ref.latP95.toFixed(1)),
        frame_to_event_ms_p50: Number(ref.latP50.toFixed(1)),
      },
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
