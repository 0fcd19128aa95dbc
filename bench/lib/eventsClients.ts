/**
 * Subscriber side of the events benchmark, in its own process so the server's loop and CPU are measured alone.
 * argv: url subscribers seconds. Prints "ready" once every client is subscribed, then one JSON line of results:
 * latency from each event's `wall` (the publish time, same machine clock) to its arrival, as a histogram of whole
 * milliseconds (Date.now() resolution) so that the parent can merge several subscriber processes exactly, and the
 * CPU seconds this process spent while subscribed.
 */
import { io as connect, type Socket } from 'socket.io-client';
import type { MicroEmoEvent } from '../../src/events/schema.ts';

const [url, n, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const hist = new Map<number, number>();
let received = 0;
const clients: Socket[] = [];
for (let i = 0; i < n; i++) {
  const c = connect(url, { transports: ['websocket'] });
  c.on('event', (e: MicroEmoEvent) => {
    const ms = Date.now() - e.wall;
    hist.set(ms, (hist.get(ms) ?? 0) + 1);
    received++;
  });
  clients.push(c);
}
await Promise.all(clients.map((c) => c.emitWithAck('subscribe', { room: 'bench' })));
const cpu0 = process.cpuUsage();
process.stdout.write('ready\n');
await new Promise((r) => setTimeout(r, (seconds + 1) * 1000));
for (const c of clients) c.close();
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
process.stdout.write(`${JSON.stringify({ received, cpuS, hist: [...hist.entries()] })}\n`);
process.exit(0);
