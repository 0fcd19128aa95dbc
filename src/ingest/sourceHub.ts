/**
 * Where live sources are announced: WHIP sessions and call participants emit their MediaSource here once its
 * tracks are known; the pipeline manager listens and starts analysing each.
 */
import { EventEmitter } from 'node:events';
import type { MediaSource } from './mediaSource.ts';

export class SourceHub extends EventEmitter<{ source: [source: MediaSource] }> {
  private readonly live = new Map<string, MediaSource>();

  announce(source: MediaSource): void {
    const id = source.info.streamId;
    if (this.live.has(id)) throw new Error(`a source with stream id ${id} is already live`);
    this.live.set(id, source);
    source.once('end', () => this.live.delete(id));
    this.emit('source', source);
  }

  get(streamId: string): MediaSource | undefined {
    return this.live.get(streamId);
  }

  get size(): number {
    return this.live.size;
  }

  /** Stops every live source (server shutdown). */
  async stopAll(reason: Parameters<MediaSource['stop']>[0] = 'shutdown'): Promise<void> {
    await Promise.all([...this.live.values()].map((s) => s.stop(reason)));
  }
}
