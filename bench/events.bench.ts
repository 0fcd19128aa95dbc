/**
 * Event fan-out benchmark: S socket.io subscribers on loopback (one room), 4 streams publishing at a realistic rate
 * (face.frame 10 Hz each, plus utterance and emotion events), for a fixed time. Reports emit → receive latency
 * p50/p95 over every delivery and the CPU of the server process.
 * Metrics: fanout_subscribers, deliver_ms_p50, deliver_ms_p95, cpu_core. Usage: npm run bench -- events [--subs 200]
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootLogger } from '../src/events/logger.ts';
import { buildServer } from '../src/server/app.ts';
import { loadConfig } from '../src/server/config.ts';
import { eventsApi } from '../src/server/eventsApi.ts';
import { cpuSeconds } from './lib/stats.ts';

const args = process.argv.slice(2);
const subs = Number(args[args.indexOf('--subs') + 1] || 200) || 200;
const seconds = 10;
const dataDir = mkdtempSync(join(tmpdir(), 'microemo-bench-events-'));
const server = await buildServer(loadConfig({}, { port: 0, dataDir, validateEvents: false }), rootLogger(), [
  eventsApi(),
]);
const url = `http://127.0.0.1:${(await server.listen()).port}/events`;
// The subscribers run in a child process: the server's CPU and event loop are then measured alone.
const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'bench/lib/eventsClients.ts', url, String(subs), String(seconds)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let childOut = '';
child.stdout.on('data', (d) => (childOut += d));
await new Promise<void>((resolve) => {
  const check = () => (/ready/.test(childOut) ? resolve() : setTimeout(check, 50));
  check();
});
console.log(`${subs} subscribers connected (separate process)`);
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
let tick = 0;
const cpu0 = cpuSeconds();
const t0 = performance.now();
const timer = setInterval(() => {
  tick++;
  for (const p of pubs) {
    const t = tick / 10;
    p.publish('face.frame', { t, faces: [face] });
    published++;
    if (tick % 20 === 0) {
      published++;
      p.publish('utterance.start', { t, utteranceId: `u${tick}`, continuation: false, trackId: 0 });
    }
  }
}, 100);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(timer);
const cpu = (cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
await new Promise((r) => child.on('exit', r));
const res = JSON.parse(childOut.trim().split('\n').at(-1) ?? '{}') as { received: number; p50: number; p95: number };
await server.close();
rmSync(dataDir, { recursive: true, force: true });
const expected = published * subs;
console.log(`${res.received} deliveries of ${expected} published × subscribers over ${seconds} s`);
console.log(`emit → receive (ms clock): p50 ${res.p50} ms, p95 ${res.p95} ms (target p95 ≤ 20 ms)`);
console.log(`server process CPU: ${cpu.toFixed(2)} core`);
console.log(
  JSON.stringify({
    suite: 'events',
    metrics: {
      fanout_subscribers: subs,
      deliver_ms_p50: res.p50,
      deliver_ms_p95: res.p95,
      delivered_ratio: Number((res.received / expected).toFixed(4)),
      cpu_core: Number(cpu.toFixed(3)),
    },
  }),
);
