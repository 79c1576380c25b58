import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Realm of the board's Basic challenge; browsers show it in their login prompt. */
export const BOARD_REALM = 'Herald board';

/** A user and password, as configured or as a request sent them. */
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Reads `Authorization: Basic <base64(user:password)>` (RFC 7617). Returns undefined when
 * the header is absent, of another scheme, or not `user:password` once decoded.
 */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  const match = header === undefined ? null : /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether two strings are equal, in time that depends on neither: both are hashed first,
 * so the comparison always runs over 32 bytes, whatever their lengths.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Whether `given` is `expected`. Both parts are always compared: the timing does not tell which one was wrong. */
export function credentialsMatch(given: BasicCredentials, expected: BasicCredentials): boolean {
  const username = constantTimeEqual(given.username, expected.username);
  const password = constantTimeEqual(given.password, expected.password);
  return username && password;
}

/**
 * A fastify `onRequest` hook that answers 401 with a Basic challenge unless the request
 * carries `expected`. It logs only that a request was refused and why (`missing` or
 * `mismatch`), never the header, the user sent or the password.
 */
export function basicAuthHook(expected: BasicCredentials) {
  const challenge = `Basic realm="${BOARD_REALM}"`;
  return async function requireBasicAuth(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const given = parseBasicAuth(request.headers.authorization);
    if (given !== undefined && credentialsMatch(given, expected)) return undefined;
    request.log.debug({ reason: given === undefined ? 'missing' : 'mismatch' }, 'board request unauthorized');
    return reply
      .code(401)
      .header('www-authenticate', challenge)
      .send({ error: 'unauthorized', message: 'log in with the user and password set in board.username and board.password' });
  };
}
