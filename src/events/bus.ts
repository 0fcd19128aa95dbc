/**
 * In-process typed event bus. Producers publish payloads through a per-stream handle that stamps the envelope
 * (v, streamId, room, seq, wall) so that seq increases by exactly one per stream, whoever emits.
 */
import { EventEmitter } from 'node:events';
import { type EventOf, type EventPayload, type EventType, type MicroEmoEvent, parseEvent } from './schema.ts';

export type EventListener = (event: MicroEmoEvent) => void;

export interface BusOptions {
  /** validate every event against the schema before delivery (on in tests and by default; costs ~µs per event) */
  validate?: boolean;
}

export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly validate: boolean;

  constructor(options: BusOptions = {}) {
    this.validate = options.validate ?? true;
    this.emitter.setMaxListeners(0);
  }

  /**
   * A publishing handle for one stream; seq starts at `firstSeq` (0, or the next seq when a stream resumes).
   * `wall` stamps wall time from the event's media time; the default is the current time. File runs pass a
   * media-time-based clock so that the same file gives byte-identical events.
   */
  stream(
    streamId: string,
    room: string,
    firstSeq = 0,
    wall: (t: number) => number = () => Date.now(),
  ): StreamPublisher {
    return new StreamPublisher(this, streamId, room, firstSeq, wall);
  }

  /** Delivers a complete event (already stamped). Used by StreamPublisher and by replay of recorded streams. */
  deliver(event: MicroEmoEvent): MicroEmoEvent {
    const e = this.validate ? parseEvent(event) : event;
    this.emitter.emit('event', e);
    this.emitter.emit(e.type, e);
    return e;
  }

  on(listener: EventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  onType<T extends EventType>(type: T, listener: (event: EventOf<T>) => void): () => void {
    const l = listener as (e: unknown) => void;
    this.emitter.on(type, l);
    return () => this.emitter.off(type, l);
  }
}

export class StreamPublisher {
  private nextSeq: number;
  private ended = false;

  constructor(
    private readonly bus: EventBus,
    readonly streamId: string,
    readonly room: string,
    firstSeq: number,
    private readonly wall: (t: number) => number,
  ) {
    this.nextSeq = firstSeq;
  }

  get seq(): number {
    return this.nextSeq;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Publishes one event; after `stream.ended` nothing more is published for this stream. */
  publish<T extends EventType>(type: T, payload: EventPayload<T>): EventOf<T> | undefined {
    if (this.ended) return undefined;
    const event = {
      ...payload,
      v: 1,
      type,
      streamId: this.streamId,
      room: this.room,
      seq: this.nextSeq,
      wall: this.wall(payload.t),
    } as unknown as MicroEmoEvent;
    // Validate before taking the seq, so a rejected event leaves no gap.
    const delivered = this.bus.deliver(event);
    this.nextSeq++;
    if (type === 'stream.ended') this.ended = true;
    return delivered as EventOf<T>;
  }
}
