/**
 * A stdout for a child process that Node reads into one preallocated buffer.
 *
 * Why: a child's `stdio: 'pipe'` hands every read (≤ 64 KB) to JS as a fresh Buffer. Raw 640×480 RGB at 30 fps is
 * 27 MB/s of such buffers per stream, and V8 counts that external memory towards its major-GC trigger: the server's
 * ~60 MB heap was fully marked every 0.3–1 s (main thread plus the V8 helper threads; reading one stream's frames
 * cost 61 ms of CPU per second, 16 ms through this, in /tmp measurements of ffmpeg → Node alone). Node reads into a
 * caller's buffer only for sockets (`net.Socket`'s `onread` option), and has no socketpair(): so a Unix socket is
 * made by listening on a temporary path, connecting to it with `onread`, and giving the accepted end to the child
 * as its stdout (the path is removed as soon as the two ends are connected).
 */
import { rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let counter = 0;

export interface UserBufferPipe {
  /** pass as the child's stdout (`stdio: ['ignore', childEnd, …]`), then call `closeChildEnd()` after spawning */
  childEnd: net.Socket;
  /** the reading end: pause()/resume() for flow control, 'end' once the child closed its stdout */
  reader: net.Socket;
  /** closes this process's copy of the child's end (the child keeps its own) */
  closeChildEnd(): void;
}

/**
 * `onData(chunk)` gets each read as a view into one reused buffer of `bufferBytes`: copy out what is kept before
 * returning.
 */
export async function userBufferPipe(
  onData: (chunk: Uint8Array) => void,
  bufferBytes = 1 << 20,
): Promise<UserBufferPipe> {
  const path = join(tmpdir(), `microemo-${process.pid}-${counter++}.sock`);
  rmSync(path, { force: true });
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const buffer = new Uint8Array(bufferBytes);
    const reader = net.connect({
      path,
      onread: {
        buffer,
        callback: (n: number, buf: Uint8Array) => {
          onData(buf.subarray(0, n));
          return true;
        },
      },
    });
    await new Promise<void>((resolve, reject) => {
      reader.once('connect', resolve);
      reader.once('error', reject);
    });
    const childEnd = await accepted;
    return { childEnd, reader, closeChildEnd: () => childEnd.destroy() };
  } finally {
    server.close();
    rmSync(path, { force: true });
  }
}
