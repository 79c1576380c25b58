import { DurationSyntaxError, parseDuration } from './duration.js';
import type { ConfigProblem } from './errors.js';

/**
 * One webhook endpoint, normalized. Written in config files with distribution's keys
 * (`notifications.endpoints[]` of a registry config.yml can be pasted as is).
 */
export interface EndpointConfig {
  /** Unique name; used in logs, metrics and queue names instead of the URL. */
  readonly name: string;
  /** A disabled endpoint is kept in the config but receives nothing. @defaultValue false */
  readonly disabled: boolean;
  /** Where envelopes are POSTed; http or https. May carry credentials: never log it. */
  readonly url: string;
  /** Extra request headers, each a list of values as in Go's http.Header. Secret. @defaultValue {} */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** Time allowed for one delivery attempt, in ms (`timeout`). @defaultValue 5000 */
  readonly timeoutMs: number;
  /** Distribution's failure threshold (`threshold`), kept for the retry policy. @defaultValue 10 */
  readonly threshold: number;
  /** First retry delay, in ms (`backoff`). @defaultValue 1000 */
  readonly backoffMs: number;
  /** What the endpoint does not want: `ignore.*` with legacy `ignoredmediatypes` merged in. */
  readonly ignore: { readonly mediaTypes: readonly string[]; readonly actions: readonly string[] };
}

export const ENDPOINT_DEFAULTS = { timeoutMs: 5000, threshold: 10, backoffMs: 1000 } as const;

type Raw = Record<string, unknown>;
type Report = (key: string, reason: string) => void;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_NAME_LENGTH = 128;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

function readString(value: unknown, key: string, report: Report): string | undefined {
  if (typeof value === 'string') return value;
  report(key, `must be a string, not ${typeOf(value)}`);
  return undefined;
}

function readStringList(value: unknown, key: string, report: Report): string[] {
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

/** Durations: Go duration strings; 0 means "use the default", as in distribution. */
function readDuration(value: unknown, key: string, fallback: number, report: Report): number {
  if (value === 0) return fallback;
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
    return ms === 0 ? fallback : ms;
  } catch (error) {
    report(key, error instanceof DurationSyntaxError ? error.message : 'is not a valid duration');
    return fallback;
  }
}

function readUrl(value: unknown, key: string, report: Report): string {
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

function readHeaders(value: unknown, key: string, report: Report): Record<string, string[]> {
  if (!isRecord(value)) {
    report(key, `must be a map of header names to lists of values, not ${typeOf(value)}`);
    return {};
  }
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(value)) {
    const at = `${key}.${name}`;
    if (!HEADER_NAME.test(name)) report(at, 'is not a valid header name');
    const list = typeof values === 'string' ? [values] : values;
    if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
      report(at, 'must be a list of strings');
    } else if (list.some((item) => /[\r\n\0]/.test(item))) {
      report(at, 'must not contain line breaks or NUL');
    } else {
      headers[name] = list;
    }
  }
  return headers;
}

function readIgnore(value: unknown, key: string, report: Report): { mediaTypes: string[]; actions: string[] } {
  const ignore = { mediaTypes: [] as string[], actions: [] as string[] };
  if (!isRecord(value)) {
    report(key, `must be a map with "mediatypes" and/or "actions", not ${typeOf(value)}`);
    return ignore;
  }
  for (const [name, item] of Object.entries(value)) {
    if (name === 'mediatypes') ignore.mediaTypes = readStringList(item, `${key}.mediatypes`, report);
    else if (name === 'actions') ignore.actions = readStringList(item, `${key}.actions`, report);
    else report(`${key}.${name}`, 'unknown key (known: mediatypes, actions)');
  }
  return ignore;
}

/**
 * Reads one endpoint entry. The table lists every accepted key; Herald's own keys
 * (secret, ordered, retry, tls, ...) are added here as later features land.
 */
const ENDPOINT_KEYS = [
  'name',
  'disabled',
  'url',
  'headers',
  'timeout',
  'threshold',
  'backoff',
  'ignoredmediatypes',
  'ignore',
] as const;

function readEndpoint(raw: Raw, at: string, report: Report): EndpointConfig {
  for (const key of Object.keys(raw)) {
    if (!(ENDPOINT_KEYS as readonly string[]).includes(key)) {
      report(`${at}.${key}`, `unknown key (known: ${ENDPOINT_KEYS.join(', ')})`);
    }
  }
  let name = '';
  if (raw['name'] === undefined) report(`${at}.name`, 'is required');
  else name = readString(raw['name'], `${at}.name`, report) ?? '';
  if (typeof raw['name'] === 'string' && (name.trim() === '' || name.length > MAX_NAME_LENGTH || /[\0-\x1f\x7f]/.test(name))) {
    report(`${at}.name`, `must be 1 to ${MAX_NAME_LENGTH} printable characters`);
  }
  let disabled = false;
  if (raw['disabled'] !== undefined) {
    if (typeof raw['disabled'] === 'boolean') disabled = raw['disabled'];
    else report(`${at}.disabled`, `must be true or false, not ${typeOf(raw['disabled'])}`);
  }
  let threshold: number = ENDPOINT_DEFAULTS.threshold;
  if (raw['threshold'] !== undefined) {
    const value = raw['threshold'];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
      threshold = value === 0 ? ENDPOINT_DEFAULTS.threshold : value;
    } else {
      report(`${at}.threshold`, 'must be a non-negative integer');
    }
  }
  const legacy = raw['ignoredmediatypes'] === undefined ? [] : readStringList(raw['ignoredmediatypes'], `${at}.ignoredmediatypes`, report);
  const ignore = raw['ignore'] === undefined ? { mediaTypes: [], actions: [] } : readIgnore(raw['ignore'], `${at}.ignore`, report);
  return {
    name,
    disabled,
    url: readUrl(raw['url'], `${at}.url`, report),
    headers: raw['headers'] === undefined ? {} : readHeaders(raw['headers'], `${at}.headers`, report),
    timeoutMs: readDuration(raw['timeout'] ?? 0, `${at}.timeout`, ENDPOINT_DEFAULTS.timeoutMs, report),
    threshold,
    backoffMs: readDuration(raw['backoff'] ?? 0, `${at}.backoff`, ENDPOINT_DEFAULTS.backoffMs, report),
    ignore: {
      mediaTypes: [...new Set([...ignore.mediaTypes, ...legacy])],
      actions: [...new Set(ignore.actions)],
    },
  };
}

/**
 * Reads and checks a list of endpoint entries. `at` is the key path of the list as
 * the operator wrote it (`endpoints` or `notifications.endpoints`), so that each
 * problem names the key to fix.
 */
export function readEndpoints(value: unknown, at: string): { endpoints: EndpointConfig[]; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const report: Report = (key, reason) => problems.push({ key, reason });
  if (value === undefined || value === null) return { endpoints: [], problems };
  if (!Array.isArray(value)) {
    report(at, `must be a list of endpoints, not ${typeOf(value)}`);
    return { endpoints: [], problems };
  }
  const endpoints: EndpointConfig[] = [];
  const seen = new Map<string, number>();
  value.forEach((raw, index) => {
    const entry = `${at}[${index}]`;
    if (!isRecord(raw)) {
      report(entry, `must be a map of endpoint settings, not ${typeOf(raw)}`);
      return;
    }
    const endpoint = readEndpoint(raw, entry, report);
    const first = seen.get(endpoint.name);
    if (endpoint.name !== '' && first !== undefined) {
      report(`${entry}.name`, `duplicates ${at}[${first}].name "${endpoint.name}"`);
    } else {
      seen.set(endpoint.name, index);
    }
    endpoints.push(endpoint);
  });
  return { endpoints, problems };
}
