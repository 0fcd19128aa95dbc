/**
 * Records every event of every stream to `<dataDir>/streams/<streamId>.jsonl`: appended in memory and written
 * out at least every `flushMs` (and at stream end, and on close), so a crash loses at most that much. Reading back
 * lists streams and returns a stream's events since a seq (for replay and the REST API).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBus } from './bus.ts';
import type { MicroEmoEvent } from './schema.ts';

export interface StreamSummary {
  streamId: string;
  room: string;
  events: number;
  firstSeq: number;
  lastSeq: number;
  startT: number;
  lastT: number;
  ended: boolean;
  endReason?: string;
  bytes: number;
}

/** Stream ids become file names: only a safe alphabet is accepted. */
export function safeStreamId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && !id.includes('..');
}

export class Recorder {
  readonly dir: string;
  private readonly pending = new Map<string, string[]>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, dataDir: string, flushMs = 500) {
    this.dir = join(dataDir, 'streams');
    mkdirSync(this.dir, { recursive: true });
    this.unsubscribe = bus.on((e) => this.record(e));
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
  }

  private record(e: MicroEmoEvent): void {
    if (!safeStreamId(e.streamId)) return;
    let lines = this.pending.get(e.streamId);
    if (!lines) {
      lines = [];
      this.pending.set(e.streamId, lines);
    }
    lines.push(JSON.stringify(e));
    if (e.type === 'stream.ended') this.flush(e.streamId);
  }

  /** Writes what is pending (for one stream, or all). Synchronous so that nothing is lost at exit. */
  flush(streamId?: string): void {
    const ids = streamId ? [streamId] : [...this.pending.keys()];
    for (const id of ids) {
      const lines = this.pending.get(id);
      if (!lines?.length) continue;
      appendFileSync(join(this.dir, `${id}.jsonl`), `${lines.join('\n')}\n`);
      this.pending.delete(id);
    }
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.timer);
    this.flush();
  }

  /** Events of a stream with seq >= since (flushed and pending), in seq order; undefined for an unknown stream. */
  events(streamId: string, since = 0): MicroEmoEvent[] | undefined {
    if (!safeStreamId(streamId)) return undefined;
    const file = join(this.dir, `${streamId}.jsonl`);
    const pending = this.pending.get(streamId) ?? [];
    if (!existsSync(file) && pending.length === 0) return undefined;
    const lines = [...(existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []), ...pending];
    const out: MicroEmoEvent[] = [];
    for (const l of lines) {
      if (!l) continue;
      try {
        const e = JSON.parse(l) as MicroEmoEvent;
        if (e.seq >= since) out.push(e);
      } catch {
        // a line cut by a crash mid-write: everything before it is intact
      }
    }
    return out;
  }

  summary(streamId: string): StreamSummary | undefined {
    const events = this.events(streamId);
    if (!events?.length) return undefined;
    const first = events[0];
    const last = events[events.length - 1];
    const ended = events.find((e) => e.type === 'stream.ended');
    const file = join(this.dir, `${streamId}.jsonl`);
    return {
      streamId,
      room: first.room,
      events: events.length,
      firstSeq: first.seq,
      lastSeq: last.seq,
      startT: first.t,
      lastT: Math.max(...events.map((e) => e.t)),
      ended: Boolean(ended),
      ...(ended?.type === 'stream.ended' ? { endReason: ended.reason } : {}),
      bytes: existsSync(file) ? statSync(file).size : 0,
    };
  }

  list(): StreamSummary[] {
    const ids = new Set<string>(this.pending.keys());
    for (const f of readdirSync(this.dir)) if (f.endsWith('.jsonl')) ids.add(f.slice(0, -6));
    return [...ids]
      .sort()
      .map((id) => this.summary(id))
      .filter((s): s is StreamSummary => s !== undefined);
  }
}
