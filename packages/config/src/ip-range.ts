import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP addresses and CIDR ranges as bytes, for the egress policy. An IPv6 address that
 * carries an IPv4 address a socket would reach (IPv4-mapped `::ffff:a.b.c.d` in any
 * spelling, or NAT64 `64:ff9b::a.b.c.d`) is read as that IPv4 address, so that
 * `[::ffff:a9fe:a9fe]` is judged as 169.254.169.254.
 */

/** An IP range: the first `prefix` bits of `bytes` (4 bytes for IPv4, 16 for IPv6). */
export interface IpRange {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

/** The 16 bytes of a valid IPv6 address (no zone), `::` and a dotted IPv4 tail included. */
function ipv6Bytes(text: string): Uint8Array {
  let tail: number[] = [];
  let head = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    tail = [...ipv4Bytes(dotted[1]!)];
    head = text.slice(0, -dotted[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const leftGroups = groups(left);
  const rightGroups = right === undefined ? [] : groups(right);
  const missing = 8 - tail.length / 2 - leftGroups.length - rightGroups.length;
  const all = [...leftGroups, ...new Array<number>(right === undefined ? 0 : missing).fill(0), ...rightGroups];
  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  bytes.set(tail, 16 - tail.length);
  return bytes;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
const NAT64_PREFIX = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, index) => bytes[index] === byte);
}

/**
 * The bytes of an IP address, or undefined when `text` is not one. Brackets and an IPv6
 * zone (`%eth0`) are ignored; IPv4-mapped and NAT64 IPv6 addresses give their IPv4 bytes.
 */
export function ipBytes(text: string): Uint8Array | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(bare)) return ipv4Bytes(bare);
  const unzoned = bare.replace(/%.*$/, '');
  if (!isIPv6(unzoned)) return undefined;
  const bytes = ipv6Bytes(unzoned);
  if (startsWith(bytes, MAPPED_PREFIX) || startsWith(bytes, NAT64_PREFIX)) return bytes.slice(12);
  return bytes;
}

/** `10.0.0.0/8`, `fd00::/8` or a single address (a /32 or /128); undefined when not one. */
export function parseIpRange(text: string): IpRange | undefined {
  const slash = text.lastIndexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const bytes = ipBytes(address);
  if (bytes === undefined) return undefined;
  const bits = bytes.length * 8;
  if (slash === -1) return { bytes, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  // An IPv4-mapped range (::ffff:10.0.0.0/104) keeps its meaning as the IPv4 range.
  const prefix = Number(prefixText) - (address.includes(':') && bytes.length === 4 ? 96 : 0);
  if (prefix < 0 || prefix > bits) return undefined;
  return { bytes, prefix };
}

/** Whether `address` (bytes from ipBytes) lies in `range`; an IPv4 address is never in an IPv6 range. */
export function rangeContains(range: IpRange, address: Uint8Array): boolean {
  if (range.bytes.length !== address.length) return false;
  const whole = Math.floor(range.prefix / 8);
  for (let index = 0; index < whole; index++) if (range.bytes[index] !== address[index]) return false;
  const rest = range.prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((range.bytes[whole]! ^ address[whole]!) & mask) === 0;
}
