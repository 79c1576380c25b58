import { EVENTS_MEDIA_TYPE_V1, EVENTS_MEDIA_TYPE_V2 } from '@herald/events';
import type { ConfigProblem } from './errors.js';
import { readTls, type EndpointTls } from './endpoint-tls.js';
import {
  isRecord,
  readBoolean,
  readCount,
  readByteSize,
  readDuration,
  readHttpUrl,
  readString,
  readStringList,
  reportUnknownKeys,
  typeOf,
  type Report,
} from './field-readers.js';
import { readSecretFile } from './secret-file.js';
import { allowEntryProblem } from './egress.js';

/**
 * One webhook endpoint, normalized. Written with distribution's keys, so the
 * `notifications.endpoints[]` of a registry config.yml can be pasted as is, plus
 * Herald's own (`secret`, `ordered`, `mediatype`, `maxbackoff`, `maxage`, `concurrency`, `maxbatch`, `maxbatchbytes`, `tls`).
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
  /** Retries spaced by `backoff` before the delay starts doubling (`threshold`). @defaultValue 10 */
  readonly threshold: number;
  /** Delay before the first retry, in ms (`backoff`). @defaultValue 1000 */
  readonly backoffMs: number;
  /** Longest delay between retries, in ms (`maxbackoff`). @defaultValue 300000 (5m), or `backoff` when that is longer */
  readonly maxBackoffMs: number;
  /** Stop retrying this long after the event was accepted, in ms; 0 = never (`maxage`). @defaultValue 259200000 (72h) */
  readonly maxAgeMs: number;
  /** What the endpoint does not want: `ignore.*` with legacy `ignoredmediatypes` merged in. */
  readonly ignore: { readonly mediaTypes: readonly string[]; readonly actions: readonly string[] };
  /** Standard Webhooks signing secrets, `whsec_…` (`secret`, one or a list for rotation). Secret. @defaultValue [] */
  readonly secrets: readonly string[];
  /** One delivery at a time across the fleet, in order; a failing event holds back the rest (`ordered`). @defaultValue false */
  readonly ordered: boolean;
  /** Content-Type of deliveries (`mediatype`: v1, v2 or the full media type). @defaultValue the v1 events media type */
  readonly mediaType: string;
  /** Deliveries in flight per worker process (`concurrency`); undefined means `worker.concurrency`. */
  readonly concurrency: number | undefined;
  /**
   * Most deliveries in one POST (`maxbatch`); a delivery is what one accepted envelope
   * holds for this endpoint. Above 1, a worker that takes a delivery also takes up to this
   * many minus one more already waiting, in acceptance order, and sends their events in one
   * envelope; it never waits for a batch to fill. @defaultValue 1 (one delivery per request, as distribution sends)
   */
  readonly maxBatch: number;
  /** Largest body of one batched POST, in bytes (`maxbatchbytes`); a delivery larger than this still goes, alone. @defaultValue 1048576 (1 MiB) */
  readonly maxBatchBytes: number;
  /** TLS settings for https URLs (`tls`). */
  readonly tls: EndpointTls;
  /** Exceptions to the egress refusals for this endpoint only (`egress.allow`), as in the global `egress.allow`. @defaultValue [] */
  readonly egressAllow: readonly string[];
}

export const ENDPOINT_DEFAULTS = {
  timeoutMs: 5000,
  threshold: 10,
  backoffMs: 1000,
  maxBackoffMs: 300_000,
  maxAgeMs: 259_200_000,
  maxBatch: 1,
  maxBatchBytes: 1_048_576,
} as const;

/** Largest `maxbatch`: a batch is taken one Redis script per delivery, and a receiver should not get more at once. */
export const MAX_BATCH_LIMIT = 1000;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_NAME_LENGTH = 128;

/** Every key an endpoint entry takes: distribution's first, then Herald's. */
export const ENDPOINT_KEYS = [
  'name',
  'disabled',
  'url',
  'headers',
  'timeout',
  'threshold',
  'backoff',
  'ignoredmediatypes',
  'ignore',
  'secret',
  'secretfile',
  'headerfiles',
  'ordered',
  'mediatype',
  'maxbackoff',
  'maxage',
  'concurrency',
  'maxbatch',
  'maxbatchbytes',
  'tls',
  'egress',
] as const;

function readName(value: unknown, key: string, report: Report): string {
  if (value === undefined) {
    report(key, 'is required');
    return '';
  }
  const name = readString(value, key, report) ?? '';
  if (typeof value === 'string' && (name.trim() === '' || name.length > MAX_NAME_LENGTH || /[\0-\x1f\x7f]/.test(name))) {
    report(key, `must be 1 to ${MAX_NAME_LENGTH} printable characters`);
  }
  return name;
}

function readHeaders(value: unknown, key: string, report: Report): Record<string, string[]> {
  if (value === undefined) return {};
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

/** An endpoint's `egress` map: `allow`, exceptions to the egress refusals for this endpoint. */
function readEgress(value: unknown, key: string, report: Report): string[] {
  if (value === undefined) return [];
  if (!isRecord(value)) {
    report(key, `must be a map (allow), not ${typeOf(value)}`);
    return [];
  }
  reportUnknownKeys(value, ['allow'], key, report);
  const allow = value['allow'];
  if (allow === undefined) return [];
  if (!Array.isArray(allow)) {
    report(`${key}.allow`, `must be a list of strings, not ${typeOf(allow)}`);
    return [];
  }
  return allow.filter((entry: unknown, index): entry is string => {
    const problem = allowEntryProblem(entry);
    if (problem !== undefined) report(`${key}.allow[${index}]`, problem.replace(/^entries must/, 'must'));
    return problem === undefined;
  });
}

function readIgnore(value: unknown, key: string, report: Report): { mediaTypes: string[]; actions: string[] } {
  const ignore = { mediaTypes: [] as string[], actions: [] as string[] };
  if (value === undefined) return ignore;
  if (!isRecord(value)) {
    report(key, `must be a map with "mediatypes" and/or "actions", not ${typeOf(value)}`);
    return ignore;
  }
  reportUnknownKeys(value, ['mediatypes', 'actions'], key, report);
  if (value['mediatypes'] !== undefined) ignore.mediaTypes = readStringList(value['mediatypes'], `${key}.mediatypes`, report);
  if (value['actions'] !== undefined) ignore.actions = readStringList(value['actions'], `${key}.actions`, report);
  return ignore;
}

/** Standard Webhooks secrets: `whsec_` and 24 to 64 bytes of base64. */
function readSecrets(value: unknown, key: string, report: Report): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) {
    report(key, `must be a whsec_ secret or a list of them, not ${typeOf(value)}`);
    return [];
  }
  return checkSecrets(list, typeof value === 'string', key, report);
}

/** The signing secrets of `secretfile`: a path or a list of paths, each file one `whsec_` secret. */
function readSecretFiles(value: unknown, key: string, report: Report): string[] {
  if (value === undefined) return [];
  const paths = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(paths)) {
    report(key, `must be a file path or a list of them, not ${typeOf(value)}`);
    return [];
  }
  // Each file's content is checked under the key that named the file, never shown.
  return paths.flatMap((path, index) => {
    const at = typeof value === 'string' ? key : `${key}[${index}]`;
    const secret = readSecretFile(path, at, report);
    return secret === undefined ? [] : checkSecrets([secret], true, at, report);
  });
}

/** Header values read from files (`headerfiles`: header name -> path), each one value. */
function readHeaderFiles(value: unknown, key: string, report: Report): Record<string, string[]> {
  if (value === undefined) return {};
  if (!isRecord(value)) {
    report(key, `must be a map of header names to file paths, not ${typeOf(value)}`);
    return {};
  }
  const headers: Record<string, string[]> = {};
  for (const [name, path] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) report(`${key}.${name}`, 'is not a valid header name');
    const secret = readSecretFile(path, `${key}.${name}`, report);
    if (secret !== undefined) headers[name] = [secret];
  }
  return headers;
}

/** Keeps the well-formed `whsec_` secrets; each bad one is reported under `key` (`key[i]` in a list), never shown. */
function checkSecrets(list: readonly unknown[], single: boolean, key: string, report: Report): string[] {
  return list.filter((secret, index): secret is string => {
    const at = single ? key : `${key}[${index}]`;
    const bytes = typeof secret === 'string' && /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret) ? Buffer.from(secret.slice(6), 'base64').length : 0;
    if (bytes < 24 || bytes > 64) report(at, 'must be "whsec_" followed by 24 to 64 bytes in base64');
    return bytes >= 24 && bytes <= 64;
  });
}

function readMediaType(value: unknown, key: string, report: Report): string {
  if (value === undefined || value === 'v1' || value === EVENTS_MEDIA_TYPE_V1) return EVENTS_MEDIA_TYPE_V1;
  if (value === 'v2' || value === EVENTS_MEDIA_TYPE_V2) return EVENTS_MEDIA_TYPE_V2;
  report(key, `must be v1, v2, ${EVENTS_MEDIA_TYPE_V1} or ${EVENTS_MEDIA_TYPE_V2}`);
  return EVENTS_MEDIA_TYPE_V1;
}

/**
 * `maxbackoff`: when unset, 5 minutes or `backoff` if that is longer, so that a long
 * `backoff` alone is never refused over a key the operator did not write. When set, it
 * must not be shorter than `backoff`.
 */
function readMaxBackoff(value: unknown, key: string, backoffMs: number, report: Report): number {
  const maxBackoffMs = readDuration(value, key, Math.max(ENDPOINT_DEFAULTS.maxBackoffMs, backoffMs), report);
  if (maxBackoffMs < backoffMs) report(key, 'must not be shorter than backoff');
  return maxBackoffMs;
}

/** `headers` and `headerfiles` together; a header in both is a problem, not a silent choice. */
function mergeHeaders(inline: Record<string, string[]>, fromFiles: Record<string, string[]>, key: string, report: Report): Record<string, string[]> {
  const lower = new Set(Object.keys(inline).map((name) => name.toLowerCase()));
  for (const name of Object.keys(fromFiles)) if (lower.has(name.toLowerCase())) report(`${key}.${name}`, 'is also in headers: set it in one place');
  return { ...inline, ...fromFiles };
}

function readEndpoint(raw: Record<string, unknown>, at: string, report: Report): EndpointConfig {
  reportUnknownKeys(raw, ENDPOINT_KEYS, at, report);
  const ignore = readIgnore(raw['ignore'], `${at}.ignore`, report);
  const legacy = raw['ignoredmediatypes'] === undefined ? [] : readStringList(raw['ignoredmediatypes'], `${at}.ignoredmediatypes`, report);
  const defaults = ENDPOINT_DEFAULTS;
  const backoffMs = readDuration(raw['backoff'], `${at}.backoff`, defaults.backoffMs, report);
  const concurrency = raw['concurrency'] === undefined ? undefined : readCount(raw['concurrency'], `${at}.concurrency`, 1, report, { min: 1 });
  const endpoint: EndpointConfig = {
    name: readName(raw['name'], `${at}.name`, report),
    disabled: readBoolean(raw['disabled'], `${at}.disabled`, false, report),
    url: readHttpUrl(raw['url'], `${at}.url`, report),
    headers: mergeHeaders(readHeaders(raw['headers'], `${at}.headers`, report), readHeaderFiles(raw['headerfiles'], `${at}.headerfiles`, report), `${at}.headerfiles`, report),
    timeoutMs: readDuration(raw['timeout'], `${at}.timeout`, defaults.timeoutMs, report),
    threshold: readCount(raw['threshold'], `${at}.threshold`, defaults.threshold, report, { zeroIsDefault: true }),
    backoffMs,
    maxBackoffMs: readMaxBackoff(raw['maxbackoff'], `${at}.maxbackoff`, backoffMs, report),
    maxAgeMs: readDuration(raw['maxage'], `${at}.maxage`, defaults.maxAgeMs, report, 0),
    ignore: { mediaTypes: [...new Set([...ignore.mediaTypes, ...legacy])], actions: [...new Set(ignore.actions)] },
    secrets: [...readSecrets(raw['secret'], `${at}.secret`, report), ...readSecretFiles(raw['secretfile'], `${at}.secretfile`, report)],
    ordered: readBoolean(raw['ordered'], `${at}.ordered`, false, report),
    mediaType: readMediaType(raw['mediatype'], `${at}.mediatype`, report),
    concurrency,
    maxBatch: readCount(raw['maxbatch'], `${at}.maxbatch`, defaults.maxBatch, report, { min: 1, max: MAX_BATCH_LIMIT }),
    maxBatchBytes: readByteSize(raw['maxbatchbytes'], `${at}.maxbatchbytes`, defaults.maxBatchBytes, report),
    tls: readTls(raw['tls'], `${at}.tls`, report),
    egressAllow: readEgress(raw['egress'], `${at}.egress`, report),
  };
  return endpoint;
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
