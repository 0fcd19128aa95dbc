/**
 * Event fan-out benchmark: S socket.io subscribers on loopback (one room), 4 streams publishing at a realistic rate
 * (face.frame 10 Hz each, plus utterance and emotion events), for a fixed time. Reports emit → receive latency
 * p50/p95 over every delivery and the CPU of the server process.
 * Metrics: fanout_subscribers, deliver_ms_p50, deliver_ms_p95, cpu_core, publish_ms_p95 (the server's synchronous
 * fan-out: publish → the frame handed to every subscriber's socket, written at once to an idle socket, queued
 * behind the previous write otherwise).
 * Usage: npm run bench -- events [--subs 200] [--client-procs 2] [--burst]
 *
 * The subscribers run in `--client-procs` processes (default 2, one per core). Profiled (node --cpu-prof;
 * BENCH_CLIENT_PROF=<dir> profiles the subscribers): the server spends its CPU mostly in writev (socket.io encodes
 * a broadcast once and hands each socket the same frame; publish → every socket handed its frame ~0.3 ms at p50),
 * while the subscriber side spends 30–70 µs per delivery (JSON.parse and socket.io-client dispatch,
 * `client_cpu_us_per_delivery`). Co-located test clients queue behind each other's copies — a queue a real
 * subscriber (one socket, its own process) never has — so the measured latency is an upper bound: one process
 * holding all 200 clients adds up to 200 × ~50 µs per publish. Two processes halve that queue without changing
 * what the server does or what is measured per delivery (publish `wall` → arrival in a subscriber's handler).
 * Streams publish at unrelated phases (below); `--burst` measures the worst case of four simultaneous publishes.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootLogger } from '../src/events/logger.ts';
import { buildServer } from '../src/server/app.ts';
import { loadConfig } from '../src/server/config.ts';
import { eventsApi } from '../src/server/eventsApi.ts';
import { cpuSeconds, percentile } from './lib/stats.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) || dflt : dflt;
const subs = flag('--subs', 200);
const procs = Math.max(1, Math.min(subs, flag('--client-procs', 2)));
const seconds = 10;
const dataDir = mkdtempSync(join(tmpdir(), 'microemo-bench-events-'));
const server = await buildServer(loadConfig({}, { port: 0, dataDir, validateEvents: false }), rootLogger(), [
  eventsApi(),
]);
const url = `http://127.0.0.1:${(await server.listen()).port}/events`;
// The subscribers run in child processes: the server's CPU and event loop are then measured alone.
const children = Array.from({ length: procs }, (_, i) => {
  const n = Math.floor(subs / procs) + (i < subs % procs ? 1 : 0);
  const child = spawn(
    process.execPath,
    // BENCH_CLIENT_PROF=<dir>: CPU profiles of the subscriber processes (where the client side spends its time)
    [
      ...(process.env.BENCH_CLIENT_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLIENT_PROF}`] : []),
      '--import',
      'tsx',
      'bench/lib/eventsClients.ts',
      url,
      String(n),
      String(seconds),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const state = { out: '', exited: new Promise((r) => child.on('exit', r)) };
  child.stdout.on('data', (d) => (state.out += d));
  return state;
});
await new Promise<void>((resolve) => {
  const check = () => (children.every((c) => /ready/.test(c.out)) ? resolve() : setTimeout(check, 50));
  check();
});
console.log(`${subs} subscribers connected (${procs} separate processes)`);
let published = 0;
const pubs = Array.from({ length: 4 }, (_, i) => server.bus.stream(`bench-${i}`, 'bench'));
const face = {
  trackId: 0,
  box: { x: 100, y: 80, w: 200, h: 220 },
  score: 0.99,
  headPose: { yaw: 3, pitch: -2, roll: 1 },
  expression: { neutral: 0.5, happy: 0.3, sad: 0.05, angry: 0.05, fearful: 0.04, disgusted: 0.03, surprised: 0.03 },
  au: {
    AU1: 0,
    AU2: 0,
    AU4: 0.1,
    AU5: 0,
    AU6: 0.2,
    AU7: 0,
    AU9: 0,
    AU12: 0.3,
    AU15: 0,
    AU17: 0,
    AU20: 0,
    AU23: 0,
    AU25: 0.2,
    AU26: 0.1,
    AU45: 0,
  },
  valence: 0.2,
  arousal: 0.1,
};
const cpu0 = cpuSeconds();
const t0 = performance.now();
/** the server's synchronous share: publish → the pre-encoded frame handed to every subscriber's socket */
const emitMs: number[] = [];
/**
 * Each stream publishes face.frame at 10 Hz on its own clock. Live streams start at unrelated times, so their
 * 100 ms ticks have unrelated phases: by default stream i ticks at i × 100/4 ms into the period (an even spread,
 * deterministic, the expected spacing of random phases). `--burst` puts all four in the same tick — the worst case,
 * where every subscriber gets four events at once and a co-located client process queues 4 × its subscribers'
 * deliveries.
 */
const burst = args.includes('--burst');
const timers: NodeJS.Timeout[] = [];
const phases: NodeJS.Timeout[] = [];
pubs.forEach((p, i) => {
  let tick = 0;
  const publishTick = () => {
    tick++;
    const t = tick / 10;
    const e0 = performance.now();
    p.publish('face.frame', { t, faces: [face] });
    emitMs.push(performance.now() - e0);
    published++;
    if (tick % 20 === 0) {
      published++;
      p.publish('utterance.start', { t, utteranceId: `u${tick}`, continuation: false, trackId: 0 });
    }
  };
  phases.push(setTimeout(() => timers.push(setInterval(publishTick, 100)), burst ? 0 : (i * 100) / pubs.length));
});
await new Promise((r) => setTimeout(r, seconds * 1000));
for (const t of [...phases, ...timers]) clearTimeout(t);
const cpu = (cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
await Promise.all(children.map((c) => c.exited));
const hist = new Map<number, number>();
let received = 0;
let clientCpuS = 0;
for (const c of children) {
  const r = JSON.parse(c.out.trim().split('\n').at(-1) ?? '{}') as {
    received: number;
    cpuS: number;
    hist: [number, number][];
  };
  received += r.received;
  clientCpuS += r.cpuS;
  for (const [ms, k] of r.hist) hist.set(ms, (hist.get(ms) ?? 0) + k);
}
const sorted = [...hist.entries()].sort((a, b) => a[0] - b[0]);
/** nearest-rank percentile over the merged histogram */
const q = (p: number) => {
  const rank = Math.max(1, Math.ceil((p / 100) * received));
  let seen = 0;
  for (const [ms, k] of sorted) {
    seen += k;
    if (seen >= rank) return ms;
  }
  return Number.NaN;
};
const res = { received, p50: q(50), p95: q(95), p99: q(99) };
await server.close();
rmSync(dataDir, { recursive: true, force: true });
const expected = published * subs;
console.log(`${res.received} deliveries of ${expected} published × subscribers over ${seconds} s`);
console.log(`emit → receive (ms clock): p50 ${res.p50} ms, p95 ${res.p95} ms, p99 ${res.p99} ms (target p95 ≤ 20 ms)`);
console.log(`server process CPU: ${cpu.toFixed(2)} core`);
const clientUs = (clientCpuS * 1e6) / Math.max(1, res.received);
console.log(`subscriber processes: ${clientUs.toFixed(1)} µs CPU per delivery (parse + dispatch in socket.io-client)`);
const emitP95 = Number(percentile(emitMs, 95).toFixed(2));
console.log(
  `publish of one face.frame, handed to ${subs} sockets: p50 ${percentile(emitMs, 50).toFixed(2)} ms, p95 ${emitP95} ms`,
);
console.log(
  JSON.stringify({
    suite: 'events',
    metrics: {
      fanout_subscribers: subs,
      client_procs: procs,
      burst,
      deliver_ms_p50: res.p50,
      deliver_ms_p95: res.p95,
      delivered_ratio: Number((res.received / expected).toFixed(4)),
      cpu_core: Number(cpu.toFixed(3)),
      publish_ms_p95: emitP95,
      client_cpu_us_per_delivery: Number(clientUs.toFixed(1)),
    },
  }),
);
