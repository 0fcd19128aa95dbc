/**
 * Proves the benchmark convention: readable lines, then one JSON line {"suite","metrics"} last.
 * Measures event-bus publish cost (validated) as a trivial but real number.
 */
import { EventBus } from '../src/events/bus.ts';
import { percentile } from './lib/stats.ts';

const bus = new EventBus({ validate: true });
let received = 0;
bus.on(() => received++);
const pub = bus.stream('bench', 'bench');
const samples: number[] = [];
for (let i = 0; i < 20000; i++) {
  const t0 = process.hrtime.bigint();
  pub.publish('utterance.start', { t: i / 30, utteranceId: `u${i}`, continuation: false, trackId: null });
  samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const p50 = percentile(samples, 50);
const p95 = percentile(samples, 95);
console.log(
  `event bus publish (validated): p50 ${p50.toFixed(4)} ms, p95 ${p95.toFixed(4)} ms over ${received} events`,
);
console.log(JSON.stringify({ suite: 'smoke', metrics: { bus_publish_ms_p50: p50, bus_publish_ms_p95: p95 } }));
