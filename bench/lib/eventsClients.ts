/**
 * Subscriber side of the events benchmark, in its own process so the server's loop and CPU are measured alone.
 * argv: url subscribers seconds. Prints "ready" once every client is subscribed, then one JSON line of results:
 * latency from each event's `wall` (the publish time, same machine clock) to its arrival.
 */
import { io as connect, type Socket } from 'socket.io-client';
import type { MicroEmoEvent } from '../../src/events/schema.ts';

const [url, n, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const lat: number[] = [];
const clients: Socket[] = [];
for (let i = 0; i < n; i++) {
  const c = connect(url, { transports: ['websocket'] });
  c.on('event', (e: MicroEmoEvent) => lat.push(Date.now() - e.wall));
  clients.push(c);
}
await Promise.all(clients.map((c) => c.emitWithAck('subscribe', { room: 'bench' })));
process.stdout.write('ready\n');
await new Promise((r) => setTimeout(r, (seconds + 1) * 1000));
for (const c of clients) c.close();
lat.sort((a, b) => a - b);
const q = (p: number) =>
  lat[Math.min(lat.length - 1, Math.max(0, Math.ceil((p / 100) * lat.length) - 1))] ?? Number.NaN;
process.stdout.write(`${JSON.stringify({ received: lat.length, p50: q(50), p95: q(95), p99: q(99) })}\n`);
process.exit(0);
