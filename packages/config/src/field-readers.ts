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

/** A non-negative integer, at least `min` and at most `max`; `0` stands for `fallback` when `zeroIsDefault`. */
export function readCount(
  value: unknown,
  key: string,
  fallback: number,
  report: Report,
  options: { zeroIsDefault?: boolean; min?: number; max?: number } = {},
): number {
  if (value === undefined) return fallback;
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = options.max !== undefined ? `from ${min} to ${max}` : min === 0 ? '' : `of at least ${min}`;
    report(key, range === '' ? 'must be a non-negative integer' : `must be an integer ${range}`);
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

const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1_048_576 };
const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib)?$/i;
/** Smallest byte size accepted: a batch body must hold at least a small event. */
const MIN_BYTE_SIZE = 1024;

/** A size in bytes as readByteSize reads it back: `1MiB`, `256KiB`, or plain bytes. */
export function formatByteSize(bytes: number): string {
  if (bytes % 1_048_576 === 0) return `${bytes / 1_048_576}MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return String(bytes);
}

/** A size in bytes: an integer, or a number with a unit (`512KiB`, `1MiB`, `2MB`); at least 1 KiB. */
export function readByteSize(value: unknown, key: string, fallback: number, report: Report): number {
  if (value === undefined) return fallback;
  const match = typeof value === 'string' ? BYTE_SIZE.exec(value.trim()) : undefined;
  const bytes =
    typeof value === 'number' ? value : match ? Math.floor(Number(match[1]) * BYTE_UNITS[(match[2] ?? 'b').toLowerCase()]!) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_BYTE_SIZE) {
    report(key, `must be a size of at least 1KiB: bytes as an integer, or with a unit (B, KB, KiB, MB, MiB), like 1MiB`);
    return fallback;
  }
  return bytes;
}
