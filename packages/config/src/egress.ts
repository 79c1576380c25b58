import { parseIpRange } from './ip-range.js';

/**
 * Where deliveries may connect (`egress.*`). Link-local and cloud metadata addresses are
 * always refused; `deny` adds ranges; `allow` makes exceptions to every refusal.
 */
export interface EgressConfig {
  /** Ranges refused besides the always-refused ones: `private` (loopback, RFC 1918, CGNAT, ULA, unspecified) or CIDRs. @defaultValue [] */
  readonly deny: readonly string[];
  /** Exceptions to every refusal: CIDRs, IP addresses, host names, or `*.example.internal` for a domain's hosts. @defaultValue [] */
  readonly allow: readonly string[];
}

/** The named range group `egress.deny` accepts besides CIDRs. */
export const PRIVATE_RANGES = 'private';

const HOST_PATTERN = /^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** Why an `egress.deny` entry is not one, or undefined when it is. */
export function denyEntryProblem(entry: unknown): string | undefined {
  if (entry === PRIVATE_RANGES) return undefined;
  if (typeof entry === 'string' && parseIpRange(entry) !== undefined) return undefined;
  return 'entries must be "private" or a CIDR range such as 10.0.0.0/8';
}

/** Why an `egress.allow` entry is not one, or undefined when it is. */
export function allowEntryProblem(entry: unknown): string | undefined {
  if (typeof entry === 'string' && (parseIpRange(entry) !== undefined || (entry.length <= 253 && HOST_PATTERN.test(entry)))) return undefined;
  return 'entries must be a CIDR range, an IP address, a host name or *.domain';
}
