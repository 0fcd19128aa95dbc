/**
 * Video-call signalling on the socket.io namespace `/call` (server side of client/sdk/callClient.ts).
 *
 * Protocol (every client → server message carries an ack callback; the ack is `{ ok: true, … }` or
 * `{ ok: false, error: '<reason>' }`; a message sent without an ack that fails is answered by an `error` event
 * `{ event, error }`; a bad message disturbs nothing else):
 *   join      { room: /^[A-Za-z0-9_-]{1,64}$/, name: 1–64 chars }  → { ok, id, participants: [{ id, name }] }
 *             (one room per socket; fails when the room has config.maxSessionsPerRoom participants)
 *             A room with a token in config.whipTokens (the same per-room tokens as WHIP) admits only sockets that
 *             connected with `auth: { token }` holding it: the ack is then { ok: false, error, status: 401,
 *             reason: 'missing-token' } or { …, status: 403, reason: 'wrong-token' }. The room is known only at
 *             join (one socket may try several), so the check is there rather than at connect.
 *   publish   { sdp }   the client's offer (sendonly audio and/or video, candidates included or trickled)
 *                      → { ok, sdp }  the server's answer, with all its candidates
 *   answer    { subscriptionId, sdp }  the client's answer to a server `offer` → { ok }
 *   candidate { target: 'publish' | <subscriptionId>, candidate: 'candidate:…', sdpMid? } → { ok }
 *   leave     {}  → { ok }   (a socket disconnect is a leave with reason 'disconnected')
 * Server → client events:
 *   offer               { subscriptionId, publisherId, name, sdp }  one PC per publisher the client receives
 *                       (the server's candidates are in the SDP; answer with `answer`)
 *   participant-joined  { id, name }
 *   participant-left    { id, name, reason: 'left'|'disconnected'|'timeout'|'ice-failed'|…, message? }
 *   error               { event, error }
 * Each publishing participant is analysed as a stream `<room>-<participantId>` (source kind 'call').
 */
import type { Socket } from 'socket.io';
import { z } from 'zod';
import { CallRoom } from '../ingest/callRoom.ts';
import { resolveFfmpeg } from '../ingest/ffmpegPath.ts';
import type { ServerContext, ServerModule } from './app.ts';
import { checkRoomToken, type RoomAuthFailure } from './roomAuth.ts';

const MAX_SDP = 64 * 1024;
const sdp = z.string().min(1).max(MAX_SDP);
export const callMessages = {
  join: z.object({
    room: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'room must be 1–64 of A-Z a-z 0-9 _ -'),
    name: z.string().min(1).max(64),
  }),
  publish: z.object({ sdp }),
  answer: z.object({ subscriptionId: z.string().min(1).max(64), sdp }),
  candidate: z.object({
    target: z.string().min(1).max(64),
    candidate: z.string().max(1024),
    sdpMid: z.string().max(64).nullish(),
  }),
  leave: z.object({}).passthrough().optional(),
} as const;

type Ack = (res: Record<string, unknown>) => void;

/** A refusal that carries fields of its own into the ack besides the message (e.g. status and reason). */
class Refusal extends Error {
  constructor(
    readonly fields: Pick<RoomAuthFailure, 'status' | 'reason'>,
    message: string,
  ) {
    super(message);
  }
}

export const callSignalling: ServerModule = (ctx: ServerContext) => {
  const { config, log } = ctx;
  const rooms = new Map<string, CallRoom>();
  const nsp = ctx.io.of('/call');
  const analysis = {
    ffmpeg: resolveFfmpeg(config.ffmpegPath),
    width: config.analysisLongSide,
    height: 2 * Math.round((config.analysisLongSide * 3) / 4 / 2),
  };
  const clog = log.child({ component: 'call' });
  if (Object.keys(config.whipTokens).length === 0) {
    clog.warn('no whipTokens configured: anyone who reaches the server can join any call room');
  }

  function roomFor(name: string): CallRoom {
    let room = rooms.get(name);
    if (room) return room;
    const r = new CallRoom({
      room: name,
      maxParticipants: config.maxSessionsPerRoom,
      timeoutS: config.streamTimeoutS,
      analysis,
      onSource: (source) => ctx.sources.announce(source),
      onLog: (msg, extra) => clog.info(extra ?? {}, msg),
    });
    r.on('participant-joined', (p) => nsp.to(`call:${name}`).emit('participant-joined', p));
    r.on('participant-left', (p) => {
      nsp.to(`call:${name}`).emit('participant-left', p);
      // a participant ended by the server (timeout, ICE failure) leaves its socket's room too
      for (const s of nsp.sockets.values()) {
        if (s.data.callParticipant !== p.id) continue;
        s.data.callParticipant = undefined;
        void s.leave(`call:${name}`);
      }
    });
    r.on('offer', (to, msg) => {
      for (const s of nsp.sockets.values()) if (s.data.callParticipant === to) s.emit('offer', msg);
    });
    r.on('empty', () => {
      if (rooms.get(name) === r) rooms.delete(name);
    });
    rooms.set(name, r);
    room = r;
    return room;
  }

  nsp.on('connection', (socket: Socket) => {
    const current = (): { room: CallRoom; id: string } => {
      const id = socket.data.callParticipant as string | undefined;
      const room = rooms.get(socket.data.callRoom as string);
      if (!id || !room) throw new Error('join a room first');
      return { room, id };
    };

    function handle<K extends keyof typeof callMessages>(
      event: K,
      run: (msg: z.infer<(typeof callMessages)[K]>) => Promise<Record<string, unknown>> | Record<string, unknown>,
    ): void {
      socket.on(event as string, async (raw: unknown, ack?: unknown) => {
        let cb: Ack | undefined = typeof ack === 'function' ? (ack as Ack) : undefined;
        if (!cb && typeof raw === 'function') {
          cb = raw as Ack;
          raw = undefined;
        }
        const reply = (res: Record<string, unknown>) => {
          if (cb) cb(res);
          else if (res.ok === false) socket.emit('error', { event, error: res.error });
        };
        const parsed = callMessages[event].safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return reply({
            ok: false,
            error: `bad ${event} message: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid'}`,
          });
        }
        try {
          reply({ ok: true, ...(await run(parsed.data as z.infer<(typeof callMessages)[K]>)) });
        } catch (err) {
          reply({ ok: false, error: (err as Error).message, ...(err instanceof Refusal ? err.fields : {}) });
        }
      });
    }

    handle('join', ({ room: name, name: who }) => {
      if (socket.data.callParticipant) throw new Error('already in a room: leave first');
      const auth = socket.handshake.auth as { token?: unknown } | undefined;
      const token = typeof auth?.token === 'string' ? auth.token : undefined;
      const denied = checkRoomToken(config.whipTokens, name, token);
      if (denied) {
        const { status, reason } = denied;
        throw new Refusal(
          { status, reason },
          status === 401 ? `room ${name} needs a token (auth: { token })` : `wrong token for room ${name}`,
        );
      }
      const room = roomFor(name);
      const others = room.list();
      let me: ReturnType<CallRoom['join']>;
      try {
        me = room.join(who);
      } catch (err) {
        if (room.size === 0) rooms.delete(name);
        throw err;
      }
      socket.data.callParticipant = me.id;
      socket.data.callRoom = name;
      void socket.join(`call:${name}`);
      return { id: me.id, participants: others };
    });
    handle('publish', async ({ sdp }) => {
      const { room, id } = current();
      return { sdp: await room.publish(id, sdp) };
    });
    handle('answer', async ({ subscriptionId, sdp }) => {
      const { room, id } = current();
      await room.answer(id, subscriptionId, sdp);
      return {};
    });
    handle('candidate', async ({ target, candidate, sdpMid }) => {
      const { room, id } = current();
      if (candidate) await room.candidate(id, target, candidate, sdpMid);
      return {};
    });
    handle('leave', () => {
      const { room, id } = current();
      socket.data.callParticipant = undefined;
      void socket.leave(`call:${room.room}`);
      room.leave(id, 'left');
      return {};
    });
    socket.on('disconnect', () => {
      const id = socket.data.callParticipant as string | undefined;
      if (id) rooms.get(socket.data.callRoom as string)?.leave(id, 'disconnected');
    });
  });

  ctx.shutdown.register('call rooms', async () => {
    for (const room of rooms.values()) room.close('shutdown');
    rooms.clear();
  });
};
