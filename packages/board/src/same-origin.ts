import type { FastifyReply, FastifyRequest } from 'fastify';

/** Methods that change nothing; every other one must come from the board's own pages. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a state-changing request must be refused as cross-site, or undefined to let it
 * through. A browser sends `Sec-Fetch-Site` (and `Origin`) with every such request: a
 * page on another site that posts to the board, riding on the browser's cached Basic
 * login, says `cross-site` or `same-site`, or names its own origin. Requests from tools
 * (curl, scripts) send neither, and hold the login themselves.
 */
export function crossSiteReason(request: Pick<FastifyRequest, 'method' | 'headers'>): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return 'Origin is not a URL';
    }
    if (host !== request.headers.host) return 'Origin is another site';
  } else if (origin === 'null') {
    return 'Origin is null';
  }
  return undefined;
}

/** onRequest hook refusing cross-site changes with 403 `{ error: 'cross_site' }`. */
export async function sameOriginHook(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const reason = crossSiteReason(request);
  if (reason === undefined) return undefined;
  request.log.warn({ reason, method: request.method }, 'board refused a cross-site request');
  return reply.code(403).send({ error: 'cross_site', message: `the board changes jobs only from its own pages (${reason})` });
}
