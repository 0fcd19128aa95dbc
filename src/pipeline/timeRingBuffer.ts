/**
 * Ring buffer of timestamp-bound records (per-frame tokens and results, not pixels), bounded by a time span and by
 * bytes. Storage is preallocated once: append is O(1) and never grows; range queries are O(log n + k) by binary
 * search over the monotonic media times.
 *
 * Hand-written because the npm ring buffers (e.g. denque, ringbufferjs) bound by count only and have no
 * time-range queries.
 */
export interface RingBufferOptions<T> {
  /** keep records whose t is within this many seconds of the newest */
  maxSeconds: number;
  /** hard cap on records (preallocated), e.g. maxSeconds × the highest frame rate expected */
  capacity: number;
  /** cap on the sum of byteSize(record); the oldest records go first */
  maxBytes: number;
  byteSize: (record: T) => number;
}

export class TimeRingBuffer<T extends { t: number }> {
  private readonly items: (T | undefined)[];
  private readonly sizes: Float64Array;
  private head = 0; // index of the oldest record
  private count = 0;
  private bytes = 0;

  constructor(private readonly opts: RingBufferOptions<T>) {
    if (!(opts.capacity > 0 && opts.maxSeconds > 0 && opts.maxBytes > 0)) {
      throw new RangeError('TimeRingBuffer: capacity, maxSeconds and maxBytes must be positive');
    }
    this.items = new Array(opts.capacity).fill(undefined);
    this.sizes = new Float64Array(opts.capacity);
  }

  get length(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.bytes;
  }

  get capacity(): number {
    return this.opts.capacity;
  }

  /** Oldest and newest media times held, or undefined when empty. */
  span(): { start: number; end: number } | undefined {
    if (this.count === 0) return undefined;
    return { start: this.at(0)!.t, end: this.at(this.count - 1)!.t };
  }

  /** The i-th record from the oldest (0) to the newest (length-1). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.head + i) % this.opts.capacity];
  }

  last(): T | undefined {
    return this.at(this.count - 1);
  }

  /** Appends a record; its t must not be earlier than the newest one's (media time is monotonic per stream). */
  push(record: T): void {
    const newest = this.last();
    if (newest && record.t < newest.t) {
      throw new RangeError(`TimeRingBuffer: t=${record.t} is before the newest record t=${newest.t}`);
    }
    const size = this.opts.byteSize(record);
    if (this.count === this.opts.capacity) this.dropOldest();
    const idx = (this.head + this.count) % this.opts.capacity;
    this.items[idx] = record;
    this.sizes[idx] = size;
    this.count++;
    this.bytes += size;
    while (this.count > 1 && (record.t - this.at(0)!.t > this.opts.maxSeconds || this.bytes > this.opts.maxBytes)) {
      this.dropOldest();
    }
  }

  /** Records with start <= t <= end, oldest first. */
  range(start: number, end: number): T[] {
    const out: T[] = [];
    for (let i = this.lowerBound(start); i < this.count; i++) {
      const r = this.at(i)!;
      if (r.t > end) break;
      out.push(r);
    }
    return out;
  }

  /** Index (from the oldest) of the first record with t >= time. */
  lowerBound(time: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid)!.t < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
  }

  private dropOldest(): void {
    this.bytes -= this.sizes[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.opts.capacity;
    this.count--;
  }
}
