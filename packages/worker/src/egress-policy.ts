import { ipBytes, parseIpRange, PRIVATE_RANGES, rangeContains, type EgressConfig, type IpRange } from '@herald/config';
import { HeraldError } from '@herald/events';

/** A range refused, and what the operator reads about it. */
interface NamedRange {
  readonly range: IpRange;
  /** The range as written, e.g. `169.254.0.0/16`. */
  readonly cidr: string;
  /** What the range is, e.g. `link-local`. */
  readonly kind: string;
}

function named(cidr: string, kind: string): NamedRange {
  return { range: parseIpRange(cidr)!, cidr, kind };
}

/** Refused whatever the config says, unless an `allow` entry matches: they reach the host's own cloud credentials. */
const ALWAYS_REFUSED: readonly NamedRange[] = [
  named('169.254.0.0/16', 'link-local (cloud metadata)'),
  named('fe80::/10', 'link-local'),
  named('fd00:ec2::254', 'cloud metadata'),
];

/** What `egress.deny: [private]` refuses. */
const PRIVATE: readonly NamedRange[] = [
  named('127.0.0.0/8', 'loopback'),
  named('::1', 'loopback'),
  named('0.0.0.0/8', 'unspecified ("this host")'),
  named('::', 'unspecified'),
  named('10.0.0.0/8', 'private (RFC 1918)'),
  named('172.16.0.0/12', 'private (RFC 1918)'),
  named('192.168.0.0/16', 'private (RFC 1918)'),
  named('100.64.0.0/10', 'shared (CGNAT)'),
  named('fc00::/7', 'unique local'),
];

/**
 * A delivery was not sent: the address its connection would go to is refused by the
 * egress policy. `rule` names the setting that refused it, `address` the address (never
 * the URL, which may hold credentials).
 */
export class EgressRefusedError extends HeraldError {
  override readonly name = 'EgressRefusedError';
  readonly code = 'HERALD_ERR_EGRESS_REFUSED';
  /** The address refused, as resolved or written. */
  readonly address: string;
  /** The rule that refused it: `the always-refused 169.254.0.0/16`, `egress.deny: private (127.0.0.0/8)` or `egress.deny: 10.1.0.0/16`. */
  readonly rule: string;

  constructor(address: string, rule: string, kind: string) {
    super(`egress refused ${address}, ${kind}, by ${rule}; add it to egress.allow to permit it`);
    this.address = address;
    this.rule = rule;
  }
}

function hostMatches(pattern: string, host: string): boolean {
  const wanted = pattern.toLowerCase().replace(/\.$/, '');
  if (wanted.startsWith('*.')) return host.endsWith(wanted.slice(1)) && host.length > wanted.length - 1;
  return host === wanted;
}

/**
 * Decides whether a delivery may connect to an address. In order: an `allow` entry
 * (global or the endpoint's) matching the URL's host or the address permits it; a
 * link-local or cloud metadata address is refused; a range of `egress.deny` is refused;
 * anything else is permitted. IPv4-mapped and NAT64 IPv6 addresses are judged as the
 * IPv4 address they carry.
 */
export class EgressPolicy {
  readonly #allowRanges: IpRange[] = [];
  readonly #allowHosts: string[] = [];
  readonly #denied: { range: NamedRange; rule: string }[];

  constructor(egress: EgressConfig, endpointAllow: readonly string[] = []) {
    for (const entry of [...egress.allow, ...endpointAllow]) {
      const range = parseIpRange(entry);
      if (range === undefined) this.#allowHosts.push(entry);
      else this.#allowRanges.push(range);
    }
    this.#denied = ALWAYS_REFUSED.map((range) => ({ range, rule: `the always-refused ${range.cidr}` }));
    for (const entry of egress.deny) {
      if (entry === PRIVATE_RANGES) this.#denied.push(...PRIVATE.map((range) => ({ range, rule: `egress.deny: private (${range.cidr})` })));
      else this.#denied.push({ range: { range: parseIpRange(entry)!, cidr: entry, kind: 'a denied range' }, rule: `egress.deny: ${entry}` });
    }
  }

  /** Why a connection to `address` for a URL whose host is `host` is refused, or undefined when it may go. */
  refusal(host: string, address: string): EgressRefusedError | undefined {
    const bareHost = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    if (this.#allowHosts.some((pattern) => hostMatches(pattern, bareHost))) return undefined;
    const bytes = ipBytes(address);
    // Not an address a socket can connect to; the connection fails by itself.
    if (bytes === undefined) return undefined;
    if (this.#allowRanges.some((range) => rangeContains(range, bytes))) return undefined;
    const denied = this.#denied.find(({ range }) => rangeContains(range.range, bytes));
    return denied === undefined ? undefined : new EgressRefusedError(address, denied.rule, denied.range.kind);
  }
}
