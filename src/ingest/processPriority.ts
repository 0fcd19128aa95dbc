/**
 * Scheduling priority of the heavy work (ffmpeg decoders, vision and model worker threads) relative to the main
 * event loop (signalling, socket.io, HTTP, event ordering). On a machine with more busy threads than cores the
 * kernel otherwise shares time evenly, and the main loop waits its turn behind every decoder and worker: tens to
 * hundreds of milliseconds of event-loop delay under overload. A nice value keeps throughput (the heavy work
 * still gets every idle cycle) while the main loop gets the core when it has something to do.
 */
import { setPriority } from 'node:os';

/** nice value of decoders and worker threads (the main thread stays at 0) */
export const BACKGROUND_NICE = 10;

/**
 * Lowers the priority of a child process, or (no pid) of the calling thread: on Linux a worker thread calling this
 * lowers only itself. Best effort: where not permitted it changes nothing.
 */
export function runInBackground(pid?: number): void {
  try {
    if (pid === undefined) setPriority(BACKGROUND_NICE);
    else setPriority(pid, BACKGROUND_NICE);
  } catch {
    // not permitted here (containers may forbid it): same priority as the main loop
  }
}
