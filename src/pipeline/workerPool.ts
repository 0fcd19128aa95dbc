/**
 * A pool of worker_threads (sized to the cores) that runs the heavy per-frame stages off the main event loop.
 * Work is routed by key (a stream id) to the same worker every time, because per-stream state (face tracks,
 * baselines, spotters) lives in that worker. Frame buffers are transferred, not copied.
 */
import { availableParallelism } from 'node:os';
import { type Transferable, Worker } from 'node:worker_threads';

export interface WorkerRequest<P = unknown> {
  id: number;
  key: string;
  kind: string;
  payload: P;
}
export type WorkerResponse<R = unknown> =
  | { id: number; ok: true; result: R }
  | { id: number; ok: false; error: string };

/**
 * What a worker module exports as `handle`: one function per request kind. A handler returns its result and
 * optionally the buffers to transfer back.
 */
export type WorkerHandler = (
  kind: string,
  key: string,
  payload: unknown,
) => Promise<{ result: unknown; transfer?: Transferable[] }> | { result: unknown; transfer?: Transferable[] };

interface Slot {
  worker: Worker;
  keys: Set<string>;
  inflight: number;
  exited: boolean;
}

export class WorkerCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrashedError';
  }
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly byKey = new Map<string, Slot>();
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; slot: Slot }
  >();
  private nextId = 1;
  private closed = false;
  /** recent crash times; past the budget the pool stops respawning (a worker that dies at start would loop) */
  private readonly crashes: number[] = [];
  private brokenReason: string | undefined;

  /**
   * @param moduleUrl a module whose top level calls `serveWorker(handler)` (see workerHost.ts)
   * @param size number of workers (default: available cores)
   */
  constructor(
    private readonly moduleUrl: URL,
    readonly size = availableParallelism(),
    private readonly init: unknown = {},
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./tsWorker.mjs', import.meta.url), {
      workerData: { moduleUrl: this.moduleUrl.href, init: this.init },
    });
    const slot: Slot = { worker, keys: new Set(), inflight: 0, exited: false };
    worker.on('message', (msg: WorkerResponse) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      slot.inflight--;
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    });
    const fail = (err: Error) => {
      slot.exited = true;
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(new WorkerCrashedError(`worker failed: ${err.message}`));
      }
      const now = Date.now();
      this.crashes.push(now);
      while (this.crashes.length && now - this.crashes[0] > 30_000) this.crashes.shift();
      if (this.crashes.length > 5) this.brokenReason = `workers keep crashing (last: ${err.message})`;
      if (!this.closed && !this.brokenReason) {
        // Replace the dead worker; its keys start again with fresh state in the new one.
        const idx = this.slots.indexOf(slot);
        const fresh = this.spawn();
        for (const k of slot.keys) {
          fresh.keys.add(k);
          this.byKey.set(k, fresh);
        }
        if (idx >= 0) this.slots[idx] = fresh;
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!slot.exited && !this.closed) fail(new Error(`exited with code ${code}`));
      slot.exited = true;
    });
    return slot;
  }

  /** Requests sent for `key` and not answered yet (for backpressure decisions). */
  inflight(key: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.slot === this.byKey.get(key)) n++;
    return n;
  }

  /** Runs one request on the key's worker (assigned on first use to the worker with the fewest keys). */
  run<R>(key: string, kind: string, payload: unknown, transfer: Transferable[] = []): Promise<R> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    if (this.brokenReason) return Promise.reject(new WorkerCrashedError(this.brokenReason));
    let slot = this.byKey.get(key);
    if (!slot) {
      slot = this.slots.reduce((a, b) => (b.keys.size < a.keys.size ? b : a));
      slot.keys.add(key);
      this.byKey.set(key, slot);
    }
    const id = this.nextId++;
    const s = slot;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, slot: s });
      s.inflight++;
      const req: WorkerRequest = { id, key, kind, payload };
      s.worker.postMessage(req, transfer);
    });
  }

  /** Forgets a key (its stream ended); the worker is told to drop the key's state. */
  async release(key: string): Promise<void> {
    const slot = this.byKey.get(key);
    if (!slot) return;
    try {
      await this.run(key, '__release', null);
    } finally {
      slot.keys.delete(key);
      this.byKey.delete(key);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error('worker pool closed'));
    this.pending.clear();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
