/**
 * Per-room bearer tokens (config `whipTokens`), shared by WHIP publishing and call rooms so that one token admits
 * its holder to a room however they send media. A room without a configured token is open.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type RoomAuthFailure =
  | { status: 401; reason: 'missing-token'; message: string }
  | { status: 403; reason: 'wrong-token'; message: string };

// Hashing first gives equal-length inputs, so the comparison's time says nothing about the token's length or prefix.
const digest = (s: string) => createHash('sha256').update(s).digest();

/** null when `presented` may use `room`. */
export function checkRoomToken(
  tokens: Record<string, string>,
  room: string,
  presented: string | undefined,
): RoomAuthFailure | null {
  const want = Object.hasOwn(tokens, room) ? tokens[room] : undefined;
  if (!want) return null;
  if (!presented) return { status: 401, reason: 'missing-token', message: 'missing bearer token' };
  if (!timingSafeEqual(digest(presented), digest(want)))
    return { status: 403, reason: 'wrong-token', message: 'wrong token for this room' };
  return null;
}

/** The token of an `Authorization: Bearer …` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/.exec(header ?? '')?.[1];
}
