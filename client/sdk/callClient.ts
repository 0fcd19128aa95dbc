/**
 * Browser helper for MicroEmo video calls (protocol: src/server/callSignalling.ts). Joins a room on the `/call`
 * namespace, publishes a MediaStream (camera + mic) on one RTCPeerConnection and receives every other participant
 * on one RTCPeerConnection each (the server offers those).
 *
 *   const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
 *   const call = await joinCall('https://host', { room: 'team', name: 'Ada', stream });
 *   call.on('track', ({ participantId, track, stream }) => attach(participantId, stream));
 *   call.on('participant-left', ({ id, reason }) => detach(id));
 *   await call.leave();
 *
 * Offers and answers are sent once ICE gathering is complete (bounded), so no trickle is needed; the server also
 * accepts trickled `candidate` messages.
 */
import { io, type Socket } from 'socket.io-client';

export interface CallParticipant {
  id: string;
  name: string;
}

export interface CallClientEvents {
  'participant-joined': CallParticipant;
  'participant-left': CallParticipant & { reason: string; message?: string };
  track: { participantId: string; name: string; track: MediaStreamTrack; stream: MediaStream };
  error: { event?: string; error: string };
}

export interface JoinOptions {
  room: string;
  name: string;
  /** the room's token, when the server has one configured for it (otherwise joining fails with 401/403) */
  token?: string;
  /** what to publish; omit to only receive */
  stream?: MediaStream;
  /** extra socket.io client options */
  socket?: Parameters<typeof io>[1];
  /** RTCPeerConnection configuration (ICE servers …) */
  rtc?: RTCConfiguration;
  /** ack timeout for signalling requests, ms (default 10 000) */
  timeoutMs?: number;
  /**
   * handlers registered before joining: remote tracks and participants can arrive before `joinCall` resolves
   * (handlers added later still find them in `remoteStreams` and `participants`)
   */
  on?: { [K in keyof CallClientEvents]?: (e: CallClientEvents[K]) => void };
}

type Handler<K extends keyof CallClientEvents> = (e: CallClientEvents[K]) => void;
type Reply = { ok: true; [k: string]: unknown } | { ok: false; error: string; status?: number; reason?: string };

/** A request the server refused; `status`/`reason` are set for refusals that have them (401 'missing-token' …). */
export class CallError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'CallError';
  }
}

async function gathered(pc: RTCPeerConnection, timeoutMs = 2000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const onChange = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    pc.addEventListener('icegatheringstatechange', onChange);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    }
  });
}

export class CallClient {
  /** this participant's id in the room */
  id = '';
  readonly participants = new Map<string, CallParticipant>();
  /** the publish connection (undefined when only receiving) */
  publisher: RTCPeerConnection | undefined;
  /** one receive connection per remote participant id */
  readonly subscriptions = new Map<string, { subscriptionId: string; pc: RTCPeerConnection }>();
  /** what each remote participant sends, one MediaStream per participant */
  readonly remoteStreams = new Map<string, MediaStream>();
  private readonly handlers = new Map<string, Set<(e: unknown) => void>>();
  private readonly socket: Socket;

  private constructor(
    url: string,
    private readonly opts: JoinOptions,
  ) {
    for (const [event, fn] of Object.entries(opts.on ?? {}))
      if (fn) this.on(event as keyof CallClientEvents, fn as Handler<keyof CallClientEvents>);
    this.socket = io(`${url.replace(/\/$/, '')}/call`, {
      transports: ['websocket'],
      ...opts.socket,
      ...(opts.token !== undefined ? { auth: { token: opts.token } } : {}),
    });
    this.socket.on('participant-joined', (p: CallParticipant) => {
      if (p.id === this.id) return;
      this.participants.set(p.id, p);
      this.emit('participant-joined', p);
    });
    this.socket.on('participant-left', (p: CallClientEvents['participant-left']) => {
      this.participants.delete(p.id);
      this.remoteStreams.delete(p.id);
      const sub = this.subscriptions.get(p.id);
      if (sub) {
        sub.pc.close();
        this.subscriptions.delete(p.id);
      }
      this.emit('participant-left', p);
    });
    this.socket.on('offer', (msg: { subscriptionId: string; publisherId: string; name: string; sdp: string }) => {
      void this.onOffer(msg).catch((err: Error) => this.emit('error', { event: 'offer', error: err.message }));
    });
    this.socket.on('error', (e: { event?: string; error: string }) => this.emit('error', e));
  }

  /** Connects, joins the room and, when a stream is given, publishes it. Rejects with the server's reason. */
  static async join(url: string, opts: JoinOptions): Promise<CallClient> {
    const c = new CallClient(url, opts);
    try {
      const joined = await c.request('join', { room: opts.room, name: opts.name });
      c.id = joined.id as string;
      for (const p of joined.participants as CallParticipant[]) c.participants.set(p.id, p);
      if (opts.stream) await c.publish(opts.stream);
      return c;
    } catch (err) {
      c.socket.close();
      throw err;
    }
  }

  on<K extends keyof CallClientEvents>(event: K, fn: Handler<K>): this {
    const set = this.handlers.get(event) ?? new Set();
    this.handlers.set(event, set);
    set.add(fn as (e: unknown) => void);
    return this;
  }

  off<K extends keyof CallClientEvents>(event: K, fn: Handler<K>): this {
    this.handlers.get(event)?.delete(fn as (e: unknown) => void);
    return this;
  }

  private emit<K extends keyof CallClientEvents>(event: K, e: CallClientEvents[K]): void {
    for (const fn of this.handlers.get(event) ?? []) fn(e);
  }

  /** Sends a signalling request; resolves with the ack or rejects with its error. */
  async request(event: string, msg: unknown): Promise<Record<string, unknown>> {
    const res = (await this.socket.timeout(this.opts.timeoutMs ?? 10_000).emitWithAck(event, msg)) as Reply;
    if (!res.ok) throw new CallError(res.error, res.status, res.reason);
    return res;
  }

  private async publish(stream: MediaStream): Promise<void> {
    const pc = new RTCPeerConnection(this.opts.rtc);
    this.publisher = pc;
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await this.request('publish', { sdp: pc.localDescription?.sdp });
    await pc.setRemoteDescription({ type: 'answer', sdp: res.sdp as string });
  }

  private async onOffer(msg: { subscriptionId: string; publisherId: string; name: string; sdp: string }) {
    this.subscriptions.get(msg.publisherId)?.pc.close();
    const pc = new RTCPeerConnection(this.opts.rtc);
    this.subscriptions.set(msg.publisherId, { subscriptionId: msg.subscriptionId, pc });
    if (!this.participants.has(msg.publisherId))
      this.participants.set(msg.publisherId, { id: msg.publisherId, name: msg.name });
    // the server's tracks may come in separate streams (or none): gather them into one per participant
    const stream = new MediaStream();
    this.remoteStreams.set(msg.publisherId, stream);
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      this.emit('track', { participantId: msg.publisherId, name: msg.name, track: e.track, stream });
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await this.request('answer', { subscriptionId: msg.subscriptionId, sdp: pc.localDescription?.sdp });
  }

  /** Leaves the room, closes every peer connection and the socket. */
  async leave(): Promise<void> {
    await this.request('leave', {}).catch(() => undefined);
    this.publisher?.close();
    for (const s of this.subscriptions.values()) s.pc.close();
    this.subscriptions.clear();
    this.socket.close();
  }
}

export function joinCall(url: string, opts: JoinOptions): Promise<CallClient> {
  return CallClient.join(url, opts);
}
