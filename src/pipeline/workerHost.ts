/**
 * The worker side of WorkerPool: answers requests with a handler, one at a time per worker (the stages inside
 * are stateful and ordered per stream), and drops a key's state on '__release'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerHandler, WorkerRequest, WorkerResponse } from './workerPool.ts';

export function workerInit<T>(): T {
  return (workerData as { init: T }).init;
}

export function serveWorker(handler: WorkerHandler, release: (key: string) => void | Promise<void>): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorker must run inside a worker thread');
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (req: WorkerRequest) => {
    chain = chain.then(async () => {
      try {
        if (req.kind === '__release') {
          await release(req.key);
          port.postMessage({ id: req.id, ok: true, result: null } satisfies WorkerResponse);
          return;
        }
        const { result, transfer } = await handler(req.kind, req.key, req.payload);
        port.postMessage({ id: req.id, ok: true, result } satisfies WorkerResponse, transfer ?? []);
      } catch (err) {
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        port.postMessage({ id: req.id, ok: false, error } satisfies WorkerResponse);
      }
    });
  });
}
