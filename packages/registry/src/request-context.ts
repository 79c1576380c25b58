import type { IncomingMessage } from 'node:http';
import type { ActorRecord, RequestRecord } from '@herald/events';
import { uuidv7 } from './uuid-v7.js';

/**
 * What a registry knows about the HTTP request behind a repository call: the first
 * argument of every repository and listener method, as Go's `context.Context` is in
 * distribution. The bridge copies `request` and `actor` into each event it makes.
 * A registry may pass a richer object; only these fields are read.
 */
export interface RequestContext {
  /** The request; `method: 'HEAD'` makes a pull a HEAD pull. @defaultValue none: events carry `request: {}` */
  readonly request?: RequestRecord;
  /** Who made it, once the registry has authenticated them. @defaultValue none: events carry `actor: {}` */
  readonly actor?: ActorRecord;
}

/** Whether the call serves a HEAD request: such a pull reads metadata, not content. */
export function isHeadRequest(ctx: RequestContext): boolean {
  return ctx.request?.method === 'HEAD';
}

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** `127.0.0.1` as is, `::ffff:127.0.0.1` as `127.0.0.1` (as Go prints it), `::1` as `[::1]`. */
function formatIp(address: string): string {
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped !== null) return mapped[1]!;
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * Builds the request record of an incoming HTTP request, as distribution's
 * `NewRequestRecord` does: `addr` is the peer's `ip:port` (`[ip]:port` for IPv6,
 * IPv4-mapped addresses unmapped), `host` the Host header, `useragent` the User-Agent
 * header. Unlike distribution it does not trust `X-Forwarded-For`; behind a proxy, set
 * `addr` from what the proxy vouches for.
 *
 * @param id - the request id. @defaultValue a new UUIDv7
 */
export function requestRecordOf(request: IncomingMessage, id: string = uuidv7()): RequestRecord {
  const record: Record<string, string> = { id };
  const { remoteAddress, remotePort } = request.socket;
  if (remoteAddress !== undefined) {
    const ip = formatIp(remoteAddress);
    record['addr'] = remotePort === undefined ? ip : `${ip}:${remotePort}`;
  }
  if (request.headers.host !== undefined) record['host'] = request.headers.host;
  if (request.method !== undefined) record['method'] = request.method;
  const userAgent = request.headers['user-agent'];
  if (userAgent !== undefined) record['useragent'] = userAgent;
  return record;
}
