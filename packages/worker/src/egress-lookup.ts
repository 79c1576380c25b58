import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { EgressPolicy } from './egress-policy.js';

/** Resolves a host name to every address it has, as `dns.lookup(host, { all: true })` does. */
export type Resolve = (host: string) => Promise<LookupAddress[]>;

/** The system resolver (`/etc/hosts`, then DNS), as Node's sockets use by default. */
export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, addresses) => (error === null ? resolve(addresses) : reject(error)));
  });

/**
 * A socket `lookup` that resolves once and hands the socket only addresses the egress
 * policy permits: the address checked is the address connected to, so a host name whose
 * DNS answer changes between a check and a connect (DNS rebinding) cannot slip past.
 * When every address is refused, the connection fails with the EgressRefusedError of the
 * first. Works for both `all: true` (Node's happy eyeballs) and single-address callers.
 */
export function egressLookup(policy: EgressPolicy, resolve: Resolve = systemResolve): LookupFunction {
  return (host, options, callback) => {
    const family = typeof options.family === 'number' ? options.family : options.family === 'IPv6' ? 6 : options.family === 'IPv4' ? 4 : 0;
    resolve(host).then(
      (addresses) => {
        const candidates = addresses.filter((address) => family === 0 || address.family === family);
        const permitted = candidates.filter((address) => policy.refusal(host, address.address) === undefined);
        if (permitted.length === 0) {
          const refusal = candidates.length === 0 ? undefined : policy.refusal(host, candidates[0]!.address);
          const error = refusal ?? Object.assign(new Error(`no address of family ${family}`), { code: 'ENOTFOUND' });
          callback(error as NodeJS.ErrnoException, '', 0);
        } else if (options.all === true) {
          (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, permitted);
        } else {
          callback(null, permitted[0]!.address, permitted[0]!.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
