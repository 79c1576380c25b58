import { DurationSyntaxError, parseDuration } from './duration.js';

/**
 * Small readers for untrusted config values. Each reports a problem with the key
 * path and a reason (never the value: it may be a secret) and returns a fallback,
 * so one pass finds every problem.
 */

/** Records one problem: the key path as written, and why. */
export type Report = (key: string, reason: string) => void;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

export function readString(value: unknown, key: string, report: Report): string | undefined {
  if (typeof value === 'string') return value;
  report(key, `must be a string, not ${typeOf(value)}`);
  return undefined;
}

export function readBoolean(value: unknown, key: string, fallback: boolean, report: Report): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  report(key, `must be true or false, not ${typeOf(value)}`);
  return fallback;
}

/** A non-negative integer; `0` stands for `fallback` when `zeroIsDefault`. */
export function readCount(value: unknown, key: string, fallback: number, report: Report, options: { zeroIsDefault?: boolean; min?: number } = {}): number {
  if (value === undefined) return fallback;
  const min = options.min ?? 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    report(key, min === 0 ? 'must be a non-negative integer' : `must be an integer of at least ${min}`);
    return fallback;
  }
  return value === 0 && options.zeroIsDefault ? fallback : value;
}

export function readStringList(value: unknown, key: string, report: Report): string[] {
  if (!Array.isArray(value)) {
    report(key, `must be a list of strings, not ${typeOf(value)}`);
    return [];
  }
  const list: string[] = [];
  value.forEach((item, index) => {
    if (typeof item === 'string' && item !== '') list.push(item);
    else report(`${key}[${index}]`, 'must be a non-empty string');
  });
  return list;
}

/**
 * A Go duration string, in ms. `0` means `fallback` unless `zeroMeans` says
 * otherwise (`maxage: 0` means "forever").
 */
export function readDuration(value: unknown, key: string, fallback: number, report: Report, zeroMeans = fallback): number {
  if (value === undefined) return fallback;
  if (value === 0) return zeroMeans;
  if (typeof value === 'number') {
    report(key, 'must be a duration string with a unit, such as "500ms" or "5s"');
    return fallback;
  }
  if (typeof value !== 'string') {
    report(key, `must be a duration string such as "5s", not ${typeOf(value)}`);
    return fallback;
  }
  try {
    const ms = parseDuration(value);
    return ms === 0 ? zeroMeans : ms;
  } catch (error) {
    report(key, error instanceof DurationSyntaxError ? error.message : 'is not a valid duration');
    return fallback;
  }
}

/** An absolute http(s) URL. */
export function readHttpUrl(value: unknown, key: string, report: Report): string {
  if (typeof value !== 'string' || value === '') {
    report(key, value === undefined ? 'is required' : 'must be an http(s) URL');
    return '';
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    report(key, 'must be an absolute http(s) URL');
    return '';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') report(key, 'must be http(s)');
  return value;
}

/** Reports every key of `value` that `known` does not list. */
export function reportUnknownKeys(value: Record<string, unknown>, known: readonly string[], at: string, report: Report): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) report(`${at}.${key}`, `unknown key (known: ${known.join(', ')})`);
  }
}
