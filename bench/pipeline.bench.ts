/**
 * Pipeline benchmark: N concurrent 640×480 30 fps streams (file sources paced in real time, live mode: drops when
 * behind) through the whole pipeline on this machine's worker pool. Reports per N: frames analysed per second per
 * stream, drop ratio, CPU per stream, RSS per stream, event-loop delay p99, frame arrival → face.frame latency.
 * Metrics: realtime_streams (largest N with drop ratio < 5 % and ≥ 25 fps analysed), core_per_stream,
 * rss_mb_per_stream, loop_delay_ms_p99, frame_to_event_ms_p95.
 * Usage: npm run bench -- pipeline [--seconds 60] [--streams 1,2,4,6] [--aligned]
 * Then N Chromium publishers over WHIP into a server (--whip 1,2; 0 to skip): whip_realtime_streams,
 * whip_frame_to_event_ms_p95 (decoded frame → face.frame).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventBus } from '../src/events/bus.ts';
import { rootLogger } from '../src/events/logger.ts';
import { openFileSource } from '../src/ingest/fileSource.ts';
import type { MediaSource } from '../src/ingest/mediaSource.ts';
import { defaultBranches } from '../src/pipeline/branchFactory.ts';
import { EmotionModelHost } from '../src/pipeline/modelEmotionBranch.ts';
import { PipelineManager } from '../src/pipeline/pipelineManager.ts';
import { WorkerPool } from '../src/pipeline/workerPool.ts';
import { analysisModule } from '../src/server/analysisModule.ts';
import { buildServer } from '../src/server/app.ts';
import { loadConfig } from '../src/server/config.ts';
import { modelsReady } from '../src/server/modelsReady.ts';
import { whipRoutes } from '../src/server/whipRoutes.ts';
import { chromiumAvailable, fakeDeviceFiles, launchChromium } from '../test/harness/chromium.ts';
import { makeFaceClip, makeSpeechWav } from '../test/harness/clips.ts';
import { WHIP_PUBLISH_PAGE } from '../test/harness/whipPage.ts';
import { childCpuSeconds, cpuSeconds, percentile } from './lib/stats.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const seconds = Number(arg('seconds', '60'));
const counts = arg('streams', '1,2,4,6').split(',').map(Number);
/** start all file streams in the same millisecond instead of at phases spread over a frame period */
const aligned = args.includes('--aligned');
/** WHIP phase: this many Chromium publishers at once (0 = skip; Chromium's own encoding shares the 2 cores) */
const whipCounts = arg('whip', '1,2')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);

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
  /** frames per second and stream that also ran the global branch (body pose, scene motion): degradation shows here */
  globalFps: number;
  /** frames per second and stream whose faces ran both expression nets (below fps when the face branch alternates) */
  fullFaceFps: number;
  drop: number;
  corePerStream: number;
  /** the ffmpeg decoders' CPU per stream (null where it cannot be read) */
  decodeCorePerStream: number | null;
  rssMbPerStream: number;
  loopP99: number;
  latP50: number;
  latP95: number;
}

type Health = {
  streamId: string;
  t: number;
  fpsAnalysed: number;
  fpsGlobal?: number;
  fpsFullFace?: number;
  dropRatio: number;
};

/** Mean of one health field over the streams' last reports; `none` when no stream reported. */
function meanHealth(late: Health[], field: (h: Health) => number, none = 0): number {
  return late.length ? late.reduce((s, h) => s + field(h), 0) / late.length : none;
}

/**
 * Each stream's last stream.health: its counts are cumulative from the stream's start, so the last one covers the
 * whole run. (Averaging every 5 s report instead weighted the first seconds — the start-up, when every stream's first
 * frames run the detector, a new face's descriptor and the first pose at once — several times over.)
 */
function lastHealthPerStream(health: Health[]): Health[] {
  const last = new Map<string, Health>();
  for (const h of health) if (h.fpsAnalysed > 0 && h.t >= (last.get(h.streamId)?.t ?? -1)) last.set(h.streamId, h);
  return [...last.values()];
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
  const health: Health[] = [];
  bus.onType('stream.health', (e) => health.push(e));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const rss0 = process.memoryUsage().rss;
  const cpu0 = cpuSeconds();
  const child0 = childCpuSeconds();
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
  // Independent cameras are not frame-synchronised: stream i starts i/n of a frame period after the first (as the
  // events bench phases its streams). --aligned starts them in the same millisecond, the worst case: each worker then
  // gets all its streams' frames at once, and all but the first wait behind the others.
  const startAt = performance.now();
  for (const [i, s] of sources.entries()) {
    const wait = aligned ? 0 : startAt + (i * 1000) / 30 / n - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    s.start();
  }
  const timer = setTimeout(() => void Promise.all(sources.map((s) => s.stop('eof'))), seconds * 1000);
  await Promise.all(pipelines.map((p) => p.done));
  clearTimeout(timer);
  loop.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpuMain = cpuSeconds() - cpu0;
  const rss = process.memoryUsage().rss;
  await pool.close();
  await model.close();
  // process.cpuUsage covers every thread of the process (main + vision workers); the ffmpeg children are counted
  // once they have exited and been reaped (cutime/cstime): wait for that
  let child1 = childCpuSeconds();
  for (let k = 0; k < 20 && child0 !== null; k++) {
    await new Promise((r) => setTimeout(r, 100));
    const c = childCpuSeconds();
    if (c === child1) break;
    child1 = c;
  }
  const late = lastHealthPerStream(health);
  return {
    n,
    fps: meanHealth(late, (h) => h.fpsAnalysed),
    globalFps: meanHealth(late, (h) => h.fpsGlobal ?? 0),
    fullFaceFps: meanHealth(late, (h) => h.fpsFullFace ?? h.fpsAnalysed),
    drop: meanHealth(late, (h) => h.dropRatio, 1),
    corePerStream: cpuMain / wall / n,
    decodeCorePerStream: child0 !== null && child1 !== null ? (child1 - child0) / wall / n : null,
    rssMbPerStream: Math.max(0, rss - rss0) / 1e6 / n,
    // the histogram records whole sampling intervals: subtract the 5 ms resolution to get the delay
    loopP99: loop.percentile(99) / 1e6 - 5,
    latP50: percentile(lat, 50),
    latP95: percentile(lat, 95),
  };
}

/**
 * N headless Chromium publishers (fake camera + microphone from the same clip) → WHIP → the server's pipelines.
 * Measures what the server sees: analysed fps and drops from stream.health, decoded frame → face.frame latency.
 * Chromium's CPU is not counted (another process) but competes for the same cores.
 */
async function runWhip(n: number): Promise<{ n: number; fps: number; drop: number; latP95: number }> {
  const server = await buildServer(
    loadConfig({}, { port: 0, dataDir: join(dir, `whip-${n}`), maxSessionsPerRoom: 16 }),
    rootLogger(),
    [
      modelsReady,
      analysisModule,
      whipRoutes,
      (ctx) => {
        ctx.app.get('/bench/publish.html', async (_req, reply) => reply.type('text/html').send(WHIP_PUBLISH_PAGE));
      },
    ],
  );
  const base = `http://127.0.0.1:${(await server.listen()).port}`;
  await server.readiness.whenDone('vision-workers');
  const arrivals = new Map<string, Map<number, number>>();
  server.sources.on('source', (src: MediaSource) => {
    const arr = new Map<number, number>();
    arrivals.set(src.info.streamId, arr);
    src.on('video', (f) => arr.set(f.t, performance.now()));
  });
  const lat: number[] = [];
  const health: Health[] = [];
  server.bus.on((e) => {
    if (e.type === 'face.frame') {
      const at = arrivals.get(e.streamId)?.get(e.t);
      if (at !== undefined) lat.push(performance.now() - at);
    } else if (e.type === 'stream.health') health.push(e);
  });
  const browser = await launchChromium(fake);
  try {
    const pages = await Promise.all(Array.from({ length: n }, () => browser.newPage()));
    for (const page of pages) {
      await page.goto(`${base}/bench/publish.html`);
      await page.evaluate(
        ([url]) => (window as unknown as { publish: (u: string, o: object) => Promise<string> }).publish(url, {}),
        [`${base}/whip/bench`] as const,
      );
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    for (const page of pages) {
      await page.evaluate(() => (window as unknown as { unpublish: () => Promise<number> }).unpublish());
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const late = lastHealthPerStream(health);
  const fps = meanHealth(late, (h) => h.fpsAnalysed);
  const drop = meanHealth(late, (h) => h.dropRatio, 1);
  return { n, fps, drop, latP95: percentile(lat, 95) };
}
const fake = whipCounts.length && chromiumAvailable() ? fakeDeviceFiles(clip, dir, Math.min(seconds, 20)) : undefined;

try {
  const rows: Row[] = [];
  for (const n of counts) {
    const r = await runN(n);
    rows.push(r);
    console.log(
      `${n} stream(s), ${seconds} s: ${r.fps.toFixed(1)} fps analysed/stream (global branch ${r.globalFps.toFixed(1)}, both expression nets ${r.fullFaceFps.toFixed(1)}), drops ${(r.drop * 100).toFixed(1)} %, ` +
        `${r.corePerStream.toFixed(2)} core/stream in-process + ${r.decodeCorePerStream?.toFixed(2) ?? '?'} decoding, RSS +${r.rssMbPerStream.toFixed(0)} MB/stream, ` +
        `loop p99 ${r.loopP99.toFixed(1)} ms, frame→face.frame p50 ${r.latP50.toFixed(1)} ms p95 ${r.latP95.toFixed(1)} ms`,
    );
  }
  const whipRows: Awaited<ReturnType<typeof runWhip>>[] = [];
  if (fake) {
    for (const n of whipCounts) {
      const r = await runWhip(n);
      whipRows.push(r);
      console.log(
        `WHIP from Chromium, ${n} publisher(s), ${seconds} s: ${r.fps.toFixed(1)} fps analysed/stream, drops ${(r.drop * 100).toFixed(1)} %, decoded frame→face.frame p95 ${r.latP95.toFixed(1)} ms`,
      );
    }
  } else if (whipCounts.length) console.log('WHIP phase skipped: Debian chromium not installed');
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
        ...(rows[0].decodeCorePerStream !== null
          ? { decode_core_per_stream: Number(rows[0].decodeCorePerStream.toFixed(3)) }
          : {}),
        rss_mb_per_stream: Number(ref.rssMbPerStream.toFixed(1)),
        loop_delay_ms_p99: Number(Math.max(...rows.map((r) => r.loopP99)).toFixed(2)),
        frame_to_event_ms_p95: Number(ref.latP95.toFixed(1)),
        frame_to_event_ms_p50: Number(ref.latP50.toFixed(1)),
        ...(whipRows.length
          ? {
              whip_realtime_streams: Math.max(
                0,
                ...whipRows.filter((r) => r.drop < 0.05 && r.fps >= 25).map((r) => r.n),
              ),
              whip_frame_to_event_ms_p95: Number((whipRows[0]?.latP95 ?? Number.NaN).toFixed(1)),
            }
          : {}),
      },
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
