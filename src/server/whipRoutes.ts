/**
 * WHIP (RFC 9725) for OBS and other publishers:
 *   POST   /whip/:room                application/sdp offer → 201, SDP answer (with the server's candidates),
 *                                     Location: /whip/:room/:session, ETag
 *   PATCH  /whip/:room/:session       application/trickle-ice-sdpfrag → 204 (candidates); ICE restart → 422
 *   DELETE /whip/:room/:session       → 200
 *   OPTIONS                           CORS + Accept-Post
 * Errors, each with a short message: 400 malformed SDP, 401 missing / 403 wrong token, 404 unknown session,
 * 406 no supported codec, 413 body over 64 KiB, 415 wrong content type, 422 more than one audio or video track or
 * ICE restart, 429 over the per-room or total session limit.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resolveFfmpeg } from '../ingest/ffmpegPath.ts';
import { checkOffer } from '../ingest/sdpOffer.ts';
import { WhipSession } from '../ingest/whipSession.ts';
import type { ServerContext } from './app.ts';
import { bearerToken, checkRoomToken } from './roomAuth.ts';

const MAX_BODY = 64 * 1024;
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, PATCH, DELETE, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, if-match',
  'access-control-expose-headers': 'location, etag, accept-post, link',
};

interface Entry {
  session: WhipSession;
  room: string;
  etag: string;
}

export async function whipRoutes(ctx: ServerContext): Promise<void> {
  const { config } = ctx;
  const log = ctx.log.child({ component: 'whip' });
  if (Object.keys(config.whipTokens).length === 0) {
    log.warn('no whipTokens configured: anyone who reaches the server can publish to any room');
  }
  const sessions = new Map<string, Entry>();
  const ffmpeg = resolveFfmpeg(config.ffmpegPath);
  const width = config.analysisLongSide;
  const height = 2 * Math.round((config.analysisLongSide * 3) / 4 / 2);

  const fail = (reply: FastifyReply, status: number, message: string) =>
    reply.code(status).headers(CORS).type('text/plain; charset=utf-8').send(`${message}\n`);

  /** 401/403 per the room's token; null when allowed. */
  const authorize = (req: FastifyRequest, reply: FastifyReply, room: string): FastifyReply | null => {
    const denied = checkRoomToken(config.whipTokens, room, bearerToken(req.headers.authorization));
    return denied ? fail(reply, denied.status, denied.message) : null;
  };

  await ctx.app.register(async (app: FastifyInstance) => {
    for (const type of ['application/sdp', 'application/trickle-ice-sdpfrag']) {
      app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: MAX_BODY }, (_req, body, done) =>
        done(null, body),
      );
    }
    app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 413) return fail(reply, 413, `body larger than ${MAX_BODY} bytes`);
      if (status === 415)
        return fail(reply, 415, 'content type must be application/sdp (or trickle-ice-sdpfrag for PATCH)');
      log.error({ err: err.message }, 'WHIP request failed');
      return fail(reply, status, status >= 500 ? 'internal error' : err.message);
    });

    app.options('/whip/:room', async (_req, reply) =>
      reply
        .code(204)
        .headers({ ...CORS, 'accept-post': 'application/sdp' })
        .send(),
    );
    app.options('/whip/:room/:session', async (_req, reply) =>
      reply
        .code(204)
        .headers({ ...CORS, 'accept-patch': 'application/trickle-ice-sdpfrag' })
        .send(),
    );

    app.post<{ Params: { room: string }; Body: string }>('/whip/:room', async (req, reply) => {
      const { room } = req.params;
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(room))
        return fail(reply, 400, 'room names use letters, digits, _ and - (≤ 64)');
      if (!(req.headers['content-type'] ?? '').startsWith('application/sdp')) {
        return fail(reply, 415, 'content type must be application/sdp');
      }
      const denied = authorize(req, reply, room);
      if (denied) return denied;
      const inRoom = [...sessions.values()].filter((s) => s.room === room).length;
      if (inRoom >= config.maxSessionsPerRoom)
        return fail(reply, 429, `room ${room} has its ${config.maxSessionsPerRoom} sessions`);
      if (sessions.size >= config.maxSessionsTotal)
        return fail(reply, 429, `the server has its ${config.maxSessionsTotal} sessions`);
      const offer = checkOffer(typeof req.body === 'string' ? req.body : '');
      if ('status' in offer) return fail(reply, offer.status, offer.message);
      const id = randomUUID();
      const streamId = `${room}-${id.slice(0, 8)}`;
      const { session, answer } = await WhipSession.answer(offer.sdp, offer, {
        streamId,
        room,
        ffmpeg,
        width,
        height,
        timeoutS: config.streamTimeoutS,
        onLog: (m, extra) => log.warn(extra ?? {}, m),
      });
      const etag = `"${randomUUID()}"`;
      sessions.set(id, { session, room, etag });
      session.once('end', (reason) => {
        sessions.delete(id);
        log.info({ streamId, reason }, 'WHIP session ended');
      });
      ctx.sources.announce(session);
      log.info({ streamId, video: offer.video, audio: offer.audio }, 'WHIP session started');
      return reply
        .code(201)
        .headers({ ...CORS, location: `/whip/${room}/${id}`, etag, 'content-type': 'application/sdp' })
        .send(answer);
    });

    app.delete<{ Params: { room: string; session: string } }>('/whip/:room/:session', async (req, reply) => {
      const entry = sessions.get(req.params.session);
      if (!entry || entry.room !== req.params.room) return fail(reply, 404, 'unknown session');
      const denied = authorize(req, reply, entry.room);
      if (denied) return denied;
      await entry.session.stop('deleted');
      return reply.code(200).headers(CORS).send();
    });

    app.patch<{ Params: { room: string; session: string }; Body: string }>(
      '/whip/:room/:session',
      async (req, reply) => {
        if (!(req.headers['content-type'] ?? '').startsWith('application/trickle-ice-sdpfrag')) {
          return fail(reply, 415, 'content type must be application/trickle-ice-sdpfrag');
        }
        const entry = sessions.get(req.params.session);
        if (!entry || entry.room !== req.params.room) return fail(reply, 404, 'unknown session');
        const denied = authorize(req, reply, entry.room);
        if (denied) return denied;
        const frag = typeof req.body === 'string' ? req.body : '';
        if (/^a=ice-(ufrag|pwd):/m.test(frag) && !/^a=candidate:/m.test(frag)) {
          return fail(reply, 422, 'ICE restart is not supported: publish again');
        }
        await entry.session.addCandidates(
          frag
            .split(/\r?\n/)
            .filter((l) => l.startsWith('a=candidate:'))
            .map((l) => l.slice(2)),
        );
        return reply.code(204).headers(CORS).send();
      },
    );
  });

  ctx.shutdown.register('whip', async () => {
    await Promise.all([...sessions.values()].map((s) => s.session.stop('shutdown')));
  });
}
