/**
 * Event fan-out benchmark: S socket.io subscribers on loopback (one room), 4 streams publishing at a realistic rate
 * (face.frame 10 Hz each, plus utterance and emotion events), for a fixed time. Reports emit → receive latency
 * p50/p95 over every delivery and the CPU of the server process.
 * Metrics: fanout_subscribers, deliver_ms_p50, deliver_ms_p95, cpu_core. Usage: npm run bench -- events [--subs 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { rootLogger } from '../src/events/logger.ts';
import type { MicroEmoEvent } from '../src/events/schema.ts';
import { buildServer } from '../src/server/app.ts';
import { loadConfig } from '../src/server/config.ts';
import { eventsApi } from '../src/server/eventsApi.ts';
import { cpuSeconds, percentile } from './lib/stats.ts';

const args = process.argv.slice(2);
const subs = Number(args[args.indexOf('--subs') + 1] || 200) || 200;
const seconds = 10;
const dataDir = mkdtempSync(join(tmpdir(), 'microemo-bench-events-'));
const server = await buildServer(loadConfig({}, { port: 0, dataDir, validateEvents: false }), rootLogger(), [
  eventsApi(),
]);
const url = `http://127.0.0.1:${(await server.listen()).port}/events`;
const sent = new Map<string, number>();
const lat: number[] = [];
const clients: Socket[] = [];
for (let i = 0; i < subs; i++) {
  const c = connect(url, { transports: ['websocket'] });
  c.on('event', (e: MicroEmoEvent) => {
    const at = sent.get(`${e.streamId}:${e.seq}`);
    if (at !== undefined) lat.push(performance.now() - at);
  });
  clients.push(c);
}
await Promise.all(clients.map((c) => c.emitWithAck('subscribe', { room: 'bench' })));
console.log(`${subs} subscribers connected`);
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
  for (const [i, p] of pubs.entries()) {
    const t = tick / 10;
    const stamp = () => sent.set(`bench-${i}:${p.seq}`, performance.now());
    stamp();
    p.publish('face.frame', { t, faces: [face] });
    if (tick % 20 === 0) {
      stamp();
      p.publish('utterance.start', { t, utteranceId: `u${tick}`, continuation: false, trackId: 0 });
    }
  }
}, 100);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(timer);
await new Promise((r) => setTimeout(r, 500));
const cpu = (cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
for (const c of clients) c.close();
await server.close();
rmSync(dataDir, { recursive: true, force: true });
const expected = sent.size * subs;
console.log(`${lat.length} deliveries of ${expected} expected (face.frame is volatile) over ${seconds} s`);
console.log(
  `emit → receive: p50 ${percentile(lat, 50).toFixed(2)} ms, p95 ${percentile(lat, 95).toFixed(2)} ms (target p95 ≤ 20 ms)`,
);
console.log(`CPU (server and the ${subs} clients share this process): ${cpu.toFixed(2)} core`);
console.log(
  JSON.stringify({
    suite: 'events',
    metrics: {
      fanout_subscribers: subs,
      deliver_ms_p50: Number(percentile(lat, 50).toFixed(2)),
      deliver_ms_p95: Number(percentile(lat, 95).toFixed(2)),
      delivered_ratio: Number((lat.length / expected).toFixed(4)),
      cpu_core: Number(cpu.toFixed(3)),
    },
  }),
);
