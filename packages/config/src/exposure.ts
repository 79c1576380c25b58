import type { ConfigProblem } from './errors.js';
import { isLoopbackHost } from './loopback.js';

/**
 * The one rule for what a process serves beyond this machine: a role that acts on what it
 * is sent (ingest accepts events, the board retries and deletes jobs) must ask for
 * credentials when `http.host` is not loopback. Returns the problem naming the credential's
 * key, with what is at risk and, when the config can open the role on purpose, the key that
 * does; nothing on loopback.
 */
export function credentialsRequiredOffLoopback(host: string, key: string, risk: string, optOutKey?: string): ConfigProblem | undefined {
  if (isLoopbackHost(host)) return undefined;
  const optOut = optOutKey === undefined ? '' : `, or set ${optOutKey}: true to accept that`;
  return { key, reason: `is required when http.host is not loopback (${host}): without it ${risk}${optOut}` };
}
