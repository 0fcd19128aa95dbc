/**
 * The live event API: socket.io namespace `/events` and REST over the recordings.
 *
 * socket.io: handshake `auth: { token }` → the rooms that token may read (`eventTokens`; none configured = open,
 * with a warning). `subscribe({ room })` or `subscribe({ streamId, sinceSeq? })` (ack: `{ ok, error? }`) joins a
 * server-side room; with `sinceSeq` the missed events come from the recording first, then live ones, each once.
 * Events go out as `event` messages; `face.frame` is treated as volatile — skipped for a client whose send buffer
 * already holds `volatileSkipAbove` packets rather than queued (socket.io's own `volatile` flag drops a packet
 * whenever the transport is mid-write, which loses most face.frames of 4 simultaneous streams even for a fast
 * client) — and a
 * client whose send buffer grows past `maxBufferedEvents` is disconnected, so a slow subscriber never holds the
 * pipeline or memory.
 * REST: GET /streams, /streams/:id, /streams/:id/events?since=, /streams/:id/export.vtt|.csv (Bearer token when
 * tokens are configured).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Socket as EventSocket } from 'socket.io';
import { z } from 'zod';
import { Recorder, safeStreamId } from '../events/recorder.ts';
import type { ServerContext } from './app.ts';
import { exportsFor } from './eventsExport.ts';

const subscribeSchema = z.union([
  z.object({ room: z.string().min(1).max(128) }).strict(),
  z.object({ streamId: z.string().min(1).max(128), sinceSeq: z.number().int().min(0).optional() }).strict(),
]);

export const roomChannel = (room: string) => `room:${room}`;
export const streamChannel = (id: string) => `stream:${id}`;

export interface EventsApiOptions {
  /** events a client may have waiting in its socket before it is cut off */
  maxBufferedEvents: number;
  /** a client with more packets than this waiting gets no face.frame until it catches up */
  volatileSkipAbove: number;
}

export function eventsApi(options: Partial<EventsApiOptions> = {}) {
  const opts: EventsApiOptions = { maxBufferedEvents: 2000, volatileSkipAbove: 32, ...options };
  return async (ctx: ServerContext): Promise<void> => {
    const log = ctx.log.child({ component: 'events' });
    const recorder = new Recorder(ctx.bus, ctx.config.dataDir);
    ctx.shutdown.register('recorder', () => recorder.close());
    const tokens = ctx.config.eventTokens;
    const open = Object.keys(tokens).length === 0;
    if (open) log.warn('no eventTokens configured: anyone who reaches the server can read every room');
    const canRead = (rooms: readonly string[] | undefined, room: string) =>
      open || Boolean(rooms && (rooms.includes('*') || rooms.includes(room)));

    const nsp = ctx.io.of('/events');
    nsp.use((socket, next) => {
      if (open) return next();
      const token = (socket.handshake.auth as { token?: unknown })?.token;
      if (typeof token !== 'string' || !token) return next(new Error('unauthorized: missing token'));
      const rooms = tokens[token];
      if (!rooms) return next(new Error('unauthorized: unknown token'));
      socket.data.rooms = rooms;
      next();
    });

    nsp.on('connection', (socket) => {
      socket.on('subscribe', (raw: unknown, ack?: (r: { ok: boolean; error?: string }) => void) => {
        const reply = typeof ack === 'function' ? ack : () => {};
        const parsed = subscribeSchema.safeParse(raw);
        if (!parsed.success) return reply({ ok: false, error: 'subscribe takes { room } or { streamId, sinceSeq? }' });
        const req = parsed.data;
        if ('room' in req) {
          if (!canRead(socket.data.rooms, req.room)) return reply({ ok: false, error: `forbidden: room ${req.room}` });
          socket.join(roomChannel(req.room));
          return reply({ ok: true });
        }
        if (!safeStreamId(req.streamId)) return reply({ ok: false, error: 'bad streamId' });
        const recorded = recorder.events(req.streamId, 0);
        const live = ctx.sources.get(req.streamId);
        const room = recorded?.[0]?.room ?? live?.info.room;
        if (!room) return reply({ ok: false, error: `unknown stream ${req.streamId}` });
        if (!canRead(socket.data.rooms, room)) return reply({ ok: false, error: `forbidden: room ${room}` });
        if (req.sinceSeq === undefined) {
          socket.join(streamChannel(req.streamId));
          return reply({ ok: true });
        }
        // Joining and reading the recording happen in one synchronous step, so no live event can fall between
        // them: what the recording holds up to now goes first, everything after arrives live, each exactly once.
        socket.join(streamChannel(req.streamId));
        for (const e of recorder.events(req.streamId, req.sinceSeq) ?? []) socket.emit('event', e);
        markReplayed(socket);
        reply({ ok: true });
      });
      socket.on('unsubscribe', (raw: unknown) => {
        const parsed = subscribeSchema.safeParse(raw);
        if (!parsed.success) return;
        socket.leave('room' in parsed.data ? roomChannel(parsed.data.room) : streamChannel(parsed.data.streamId));
      });
    });

    /** Packets waiting in the socket's send buffer (engine.io's writeBuffer). */
    const buffered = (socket: EventSocket) =>
      (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
    /**
     * A replay is queued all at once and written as fast as the transport goes: until the socket next drains, the
     * packets it queued are not a slow reader's backlog. Counted as one, a replay of more than volatileSkipAbove
     * events made the subscriber skip the next live face.frame (a gap in a dashboard's fresh chart), and one of more
     * than maxBufferedEvents (a long recording) could get it disconnected.
     */
    const markReplayed = (socket: EventSocket) => {
      const queued = buffered(socket);
      if (queued === 0) return;
      if (!socket.data.replayQueued) socket.conn.once('drain', () => (socket.data.replayQueued = 0));
      socket.data.replayQueued = queued;
    };
    const backlog = (socket: EventSocket) => Math.max(0, buffered(socket) - (socket.data.replayQueued ?? 0));

    const unsubscribe = ctx.bus.on((e) => {
      // to() twice = the union of both channels, each socket once
      const t = nsp.to(roomChannel(e.room)).to(streamChannel(e.streamId));
      if (e.type === 'face.frame') {
        const busy: string[] = [];
        for (const [id, socket] of nsp.sockets) if (backlog(socket) > opts.volatileSkipAbove) busy.push(id);
        (busy.length ? t.except(busy) : t).emit('event', e);
      } else t.emit('event', e);
    });
    ctx.shutdown.register('events-api', () => unsubscribe());

    // A subscriber that does not read its socket must not grow the server's memory: cut it off.
    const guard = setInterval(() => {
      for (const [, socket] of nsp.sockets) {
        const waiting = backlog(socket);
        if (waiting > opts.maxBufferedEvents) {
          log.warn({ socket: socket.id, buffered: waiting }, 'subscriber too slow, disconnecting');
          socket.disconnect(true);
        }
      }
    }, 1000);
    guard.unref();
    ctx.shutdown.register('events-guard', () => clearInterval(guard));

    const auth = (req: FastifyRequest, reply: FastifyReply): readonly string[] | undefined | null => {
      if (open) return undefined;
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      const rooms = m ? tokens[m[1]] : undefined;
      if (!m) void reply.code(401).send({ error: 'missing bearer token' });
      else if (!rooms) void reply.code(403).send({ error: 'unknown token' });
      return rooms ?? null;
    };
    const streamOr404 = (id: string, reply: FastifyReply, rooms: readonly string[] | undefined) => {
      const s = recorder.summary(id);
      if (!s) {
        void reply.code(404).send({ error: `unknown stream ${id}` });
        return undefined;
      }
      if (!canRead(rooms, s.room)) {
        void reply.code(403).send({ error: `forbidden: room ${s.room}` });
        return undefined;
      }
      return s;
    };

    ctx.app.get('/streams', async (req, reply) => {
      const rooms = auth(req, reply);
      if (rooms === null) return reply;
      return { streams: recorder.list().filter((s) => canRead(rooms, s.room)) };
    });
    ctx.app.get<{ Params: { id: string } }>('/streams/:id', async (req, reply) => {
      const rooms = auth(req, reply);
      if (rooms === null) return reply;
      return streamOr404(req.params.id, reply, rooms) ?? reply;
    });
    ctx.app.get<{ Params: { id: string }; Querystring: { since?: string } }>(
      '/streams/:id/events',
      async (req, reply) => {
        const rooms = auth(req, reply);
        if (rooms === null) return reply;
        const since = req.query.since === undefined ? 0 : Number(req.query.since);
        if (!Number.isInteger(since) || since < 0) return reply.code(400).send({ error: 'since must be a seq ≥ 0' });
        if (!streamOr404(req.params.id, reply, rooms)) return reply;
        return { events: recorder.events(req.params.id, since) ?? [] };
      },
    );
    ctx.app.get<{ Params: { id: string; format: string } }>('/streams/:id/export.:format', async (req, reply) => {
      const rooms = auth(req, reply);
      if (rooms === null) return reply;
      const exporter = exportsFor(req.params.format);
      if (!exporter) return reply.code(404).send({ error: `no export format ${req.params.format} (vtt, csv)` });
      if (!streamOr404(req.params.id, reply, rooms)) return reply;
      return reply.type(exporter.type).send(exporter.render(recorder.events(req.params.id) ?? []));
    });
  };
}
