import { BlockList, isIPv4, isIPv6 } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a server bound to `host` is reachable only from this machine: `localhost`,
 * an address in 127.0.0.0/8, or `::1` (also written in full, in brackets, or as an
 * IPv4-mapped `::ffff:127.x.y.z`). Any other name, and the wildcards `0.0.0.0` and `::`,
 * is not: a name may resolve to anything.
 */
export function isLoopbackHost(host: string): boolean {
  let address = host.trim().toLowerCase();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  if (address === 'localhost') return true;
  if (isIPv4(address)) return LOOPBACK.check(address, 'ipv4');
  if (isIPv6(address)) return LOOPBACK.check(address, 'ipv6');
  return false;
}
