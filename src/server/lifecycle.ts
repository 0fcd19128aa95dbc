/**
 * Readiness and shutdown bookkeeping for the server process: components register what must be ready before
 * /readyz says 200, and what must be closed on SIGINT/SIGTERM (peers, child processes, recorders).
 */
import type { Logger } from '../events/logger.ts';

export class Readiness {
  private readonly pending = new Map<string, string>();
  private readonly failed = new Map<string, string>();
  private readonly waiters = new Map<
    string,
    { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void }
  >();

  /** Resolves when `name` is done (at once if it is not pending), rejects if it fails. */
  whenDone(name: string): Promise<void> {
    if (this.failed.has(name)) return Promise.reject(new Error(this.failed.get(name)));
    if (!this.pending.has(name)) return Promise.resolve();
    return this.waiter(name).promise;
  }

  private waiter(name: string) {
    let w = this.waiters.get(name);
    if (!w) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      w = { promise, resolve, reject };
      this.waiters.set(name, w);
    }
    return w;
  }

  /** Marks `name` as not ready yet, with a short reason shown by /readyz. */
  wait(name: string, reason = 'starting'): void {
    this.pending.set(name, reason);
  }

  done(name: string): void {
    this.pending.delete(name);
    this.waiters.get(name)?.resolve();
    this.waiters.delete(name);
  }

  fail(name: string, reason: string): void {
    this.pending.delete(name);
    this.failed.set(name, reason);
    this.waiters.get(name)?.reject(new Error(reason));
    this.waiters.delete(name);
  }

  get ready(): boolean {
    return this.pending.size === 0 && this.failed.size === 0;
  }

  status(): { ready: boolean; pending: Record<string, string>; failed: Record<string, string> } {
    return {
      ready: this.ready,
      pending: Object.fromEntries(this.pending),
      failed: Object.fromEntries(this.failed),
    };
  }
}

type Closer = { name: string; close: () => unknown };

export class Shutdown {
  private readonly closers: Closer[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  /** Registered closers run in reverse order of registration (last started, first stopped). */
  register(name: string, close: () => unknown): void {
    this.closers.push({ name, close });
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Runs every closer once, each bounded by what is left of `timeoutMs`; resolves whether or not all finished. */
  run(timeoutMs: number): Promise<void> {
    this.running ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      for (const c of [...this.closers].reverse()) {
        const left = deadline - Date.now();
        if (left <= 0) {
          this.log.warn({ closer: c.name }, 'shutdown deadline passed, skipping');
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(c.close),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${left} ms`)), left);
            }),
          ]);
        } catch (err) {
          this.log.warn({ closer: c.name, err }, 'closer failed during shutdown');
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }
}
