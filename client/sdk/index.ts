/**
 * MicroEmo TypeScript client: connect to a server's `/events` namespace, subscribe to a room or a stream, and get
 * typed handlers per event type. After a reconnect it resumes every stream subscription from the last seq it saw
 * (and room subscriptions rely on socket.io's connection-state recovery), so nothing is missed or repeated.
 *
 *   const client = connect('http://127.0.0.1:8080', { token });
 *   client.on('emotion', (e) => console.log(e.label, e.explanation));
 *   await client.subscribe({ room: 'studio' });
 */
import { io, type Socket } from 'socket.io-client';
import type { EventOf, EventType, MicroEmoEvent } from '../../src/events/schema.ts';

export type { EventOf, EventType, MicroEmoEvent };
export type Subscription = { room: string } | { streamId: string; sinceSeq?: number };

export interface ClientOptions {
  token?: string;
  /** extra socket.io client options (transports, reconnection delays …) */
  socket?: Parameters<typeof io>[1];
}

export class SubscribeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubscribeError';
  }
}

type Handler<T extends EventType> = (event: EventOf<T>) => void;

export class MicroEmoClient {
  readonly socket: Socket;
  private readonly handlers = new Map<string, Set<(e: MicroEmoEvent) => void>>();
  private readonly subscriptions: Subscription[] = [];
  /** last seq seen per stream, for resume and de-duplication */
  readonly lastSeq = new Map<string, number>();

  constructor(url: string, opts: ClientOptions = {}) {
    this.socket = io(`${url.replace(/\/$/, '')}/events`, {
      auth: opts.token ? { token: opts.token } : {},
      ...opts.socket,
    });
    this.socket.on('event', (e: MicroEmoEvent) => this.dispatch(e));
    this.socket.on('connect', () => {
      if (!this.socket.recovered) void this.resubscribe();
    });
  }

  private dispatch(e: MicroEmoEvent): void {
    const last = this.lastSeq.get(e.streamId);
    if (last !== undefined && e.seq <= last) return; // already delivered (replay overlap)
    this.lastSeq.set(e.streamId, e.seq);
    for (const h of this.handlers.get(e.type) ?? []) h(e);
    for (const h of this.handlers.get('*') ?? []) h(e);
  }

  /** Typed handler for one event type, or '*' for all; returns a function that removes it. */
  on<T extends EventType>(type: T, handler: Handler<T>): () => void;
  on(type: '*', handler: (e: MicroEmoEvent) => void): () => void;
  on(type: string, handler: (e: never) => void): () => void {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set);
    const h = handler as (e: MicroEmoEvent) => void;
    set.add(h);
    return () => set.delete(h);
  }

  /** Subscribes (rejects with SubscribeError and the server's reason when refused). */
  async subscribe(sub: Subscription): Promise<void> {
    const r = (await this.socket.emitWithAck('subscribe', sub)) as { ok: boolean; error?: string };
    if (!r.ok) throw new SubscribeError(r.error ?? 'subscribe refused');
    this.subscriptions.push(sub);
  }

  /** Without recovered session state, subscribes again, streams from the seq after the last one seen. */
  private async resubscribe(): Promise<void> {
    for (const sub of this.subscriptions) {
      const again =
        'streamId' in sub && this.lastSeq.has(sub.streamId)
          ? { streamId: sub.streamId, sinceSeq: (this.lastSeq.get(sub.streamId) ?? -1) + 1 }
          : sub;
      await this.socket.emitWithAck('subscribe', again).catch(() => undefined);
    }
  }

  close(): void {
    this.socket.close();
  }
}

export function connect(url: string, opts: ClientOptions = {}): MicroEmoClient {
  return new MicroEmoClient(url, opts);
}
