/**
 * Releases the events of several lanes (audio, video) in media-time order. Each lane reports how far in media
 * time it has processed (its watermark); an event is released once every open lane has passed its time. This
 * makes the event order independent of which decoder happened to deliver first, so a file gives the same events
 * on every run, and it lets an utterance's final emotion wait until the video of that utterance is analysed.
 */
export interface Ordered<T> {
  t: number;
  lane: number;
  order: number;
  item: T;
}

export class MediaTimeOrderer<T> {
  private readonly watermarks: number[];
  private readonly pending: Ordered<T>[] = [];
  private counter = 0;

  /**
   * @param lanes number of lanes (e.g. 2: audio = 0, video = 1)
   * @param maxPending bound on held events; past it the oldest are released regardless (a stalled lane must not
   *   hold memory without limit)
   */
  constructor(
    lanes: number,
    private readonly release: (item: T) => void,
    private readonly maxPending = 10_000,
  ) {
    this.watermarks = new Array(lanes).fill(Number.NEGATIVE_INFINITY);
  }

  get size(): number {
    return this.pending.length;
  }

  watermark(lane: number): number {
    return this.watermarks[lane];
  }

  /** Queues an event of `lane` at media time t; a lane's own events imply it has processed up to t. */
  add(lane: number, t: number, item: T): void {
    this.pending.push({ t, lane, order: this.counter++, item });
    if (t > this.watermarks[lane]) this.watermarks[lane] = t;
    this.drain(this.low(), this.pending.length - this.maxPending);
  }

  /** Lane has processed everything up to media time t (monotonic; lower values are ignored). */
  advance(lane: number, t: number): void {
    if (t <= this.watermarks[lane]) return;
    this.watermarks[lane] = t;
    this.drain(this.low());
  }

  /** Lane has ended: it no longer holds anything back. */
  close(lane: number): void {
    this.advance(lane, Number.POSITIVE_INFINITY);
  }

  /** Releases everything still held (end of stream). */
  flush(): void {
    this.drain(Number.POSITIVE_INFINITY);
  }

  private low(): number {
    let m = Number.POSITIVE_INFINITY;
    for (const w of this.watermarks) m = Math.min(m, w);
    return m;
  }

  private drain(upTo: number, atLeast = 0): void {
    if (this.pending.length === 0) return;
    // Stable order: media time, then lane, then arrival (lanes are each in order already).
    this.pending.sort((a, b) => a.t - b.t || a.lane - b.lane || a.order - b.order);
    let n = 0;
    while (n < this.pending.length && (n < atLeast || this.pending[n].t <= upTo)) n++;
    if (n === 0) return;
    for (const e of this.pending.splice(0, n)) this.release(e.item);
  }
}
