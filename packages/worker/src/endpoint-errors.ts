import { REDACTED } from '@herald/config';
import { HeraldError } from '@herald/events';

/**
 * How one delivery attempt to a webhook endpoint went wrong. Both errors name the
 * endpoint by its configured name, never its URL, and carry no header values.
 */

/** Why an attempt got no usable response. */
export type RequestFailureReason = 'timeout' | 'connection' | 'tls' | 'protocol' | 'egress';

/** What EndpointResponseError keeps of a response besides its status. */
export interface ResponseDetails {
  /** When the endpoint asked to be retried (429 and 503 `Retry-After`), in ms from now. */
  readonly retryAfterMs?: number | undefined;
  /** Where a 3xx pointed; redacted here, whatever the caller passes. */
  readonly location?: string | undefined;
}

/**
 * The endpoint answered with a status outside 2xx; the events were not delivered.
 * Redirects are not followed: a 3xx is a failure whose `location` says where to point
 * the endpoint instead.
 */
export class EndpointResponseError extends HeraldError {
  override readonly name = 'EndpointResponseError';
  readonly code = 'HERALD_ERR_ENDPOINT_RESPONSE';
  /** Name of the endpoint. */
  readonly endpoint: string;
  /** HTTP status of the response. */
  readonly status: number;
  /** `Retry-After` of a 429 or 503, in ms from the response; undefined when absent or invalid. */
  readonly retryAfterMs: number | undefined;
  /** `Location` of a 3xx without userinfo, query or fragment. */
  readonly location: string | undefined;

  constructor(endpoint: string, status: number, details: ResponseDetails = {}, options?: { cause?: unknown }) {
    const retry = details.retryAfterMs === undefined ? '' : `, retry after ${details.retryAfterMs}ms`;
    const redirect = status >= 300 && status < 400 ? ' (redirects are not followed; update the endpoint url)' : '';
    super(`endpoint "${endpoint}" answered ${status}${redirect}${retry}`, options);
    this.endpoint = endpoint;
    this.status = status;
    this.retryAfterMs = details.retryAfterMs;
    this.location = details.location === undefined ? undefined : redactLocation(details.location);
  }

  /** Builds the error from a response's status and headers, reading only what the status calls for. */
  static fromResponse(
    endpoint: string,
    status: number,
    headers: { readonly 'retry-after'?: string | undefined; readonly location?: string | undefined },
    now = Date.now(),
  ): EndpointResponseError {
    return new EndpointResponseError(endpoint, status, {
      retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(headers['retry-after'], now) : undefined,
      location: status >= 300 && status < 400 ? headers.location : undefined,
    });
  }
}

const REASONS: Record<RequestFailureReason, string> = {
  timeout: 'timed out',
  connection: 'connection failed',
  tls: 'TLS handshake failed',
  protocol: 'malformed response',
  egress: 'not contacted',
};

const EGRESS_REFUSED = 'HERALD_ERR_EGRESS_REFUSED';

/**
 * The attempt got no usable response: it timed out, the connection failed or broke,
 * TLS failed, or the response was not HTTP. The events may or may not have arrived —
 * except for reason `egress`: the egress policy refused the address, nothing was sent.
 * `cause` is the network error (its `code`, e.g. `ECONNREFUSED`), never the HTTP client's
 * request object, which holds the URL and headers.
 */
export class EndpointRequestError extends HeraldError {
  override readonly name = 'EndpointRequestError';
  readonly code = 'HERALD_ERR_ENDPOINT_REQUEST';
  /** Name of the endpoint. */
  readonly endpoint: string;
  readonly reason: RequestFailureReason;

  /**
   * For reason `egress`, the policy's refusal (an EgressRefusedError naming the address and
   * the rule). It is kept here rather than as `cause`, because the message already carries
   * its text and loggers append a cause's message to the error's own.
   */
  readonly refusal: Error | undefined;

  constructor(endpoint: string, reason: RequestFailureReason, options?: { cause?: unknown }) {
    const code = codeOf(options?.cause);
    const refusal = reason === 'egress' && options?.cause instanceof Error ? options.cause : undefined;
    // The egress policy's refusal names the rule and the address (never the URL).
    const message =
      refusal === undefined
        ? `endpoint "${endpoint}" gave no response: ${REASONS[reason]}${code === undefined ? '' : ` (${code})`}`
        : `endpoint "${endpoint}" ${REASONS.egress}: ${refusal.message}`;
    super(message, refusal === undefined ? options : undefined);
    this.endpoint = endpoint;
    this.reason = reason;
    this.refusal = refusal;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : undefined;
}

// OpenSSL certificate verification results, as Node reports them in `code`.
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_)|CERT|SELF_SIGNED|^UNABLE_TO_|^INVALID_(CA|PURPOSE)$|^PATH_LENGTH_EXCEEDED$|^HOSTNAME_MISMATCH$|CRL/;

/**
 * Classifies a failed request by its error `code` (and got's `TimeoutError`): a refusal
 * of the egress policy is 'egress', TLS
 * verification and alerts are 'tls', HTTP parser errors 'protocol', timeouts 'timeout',
 * and anything else, refused, reset or unreachable, 'connection'.
 */
export function requestFailureReason(error: unknown): RequestFailureReason {
  const { name, code, library } = (error ?? {}) as { name?: unknown; code?: unknown; library?: unknown };
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') return 'timeout';
  if (typeof code !== 'string') return 'connection';
  if (code === EGRESS_REFUSED) return 'egress';
  if (TLS_CODE.test(code) || (code === 'EPROTO' && typeof library === 'string')) return 'tls';
  if (code.startsWith('HPE_')) return 'protocol';
  return 'connection';
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 §5.6.7: IMF-fixdate, then the obsolete RFC 850 and asctime forms recipients must accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function utc(year: number, month: string, day: number, hour: number, minute: number, second: number): number | undefined {
  const monthIndex = MONTHS.indexOf(month);
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const time = Date.UTC(year, monthIndex, day, hour, minute, Math.min(second, 59));
  return new Date(time).getUTCDate() === day ? time : undefined;
}

/** Parses an HTTP-date in any of its three forms to ms since the epoch; undefined if it is none. */
export function parseHttpDate(value: string, now = Date.now()): number | undefined {
  let match = IMF_FIXDATE.exec(value);
  if (match !== null) {
    const [, day, month, year, hour, minute, second] = match.map(Number);
    return utc(year!, match[2]!, day!, hour!, minute!, second!);
  }
  match = RFC_850.exec(value);
  if (match !== null) {
    const [, day, , yy, hour, minute, second] = match.map(Number);
    // A two-digit year more than 50 years ahead is the most recent past year with those digits.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + yy!;
    if (year > thisYear + 50) year -= 100;
    if (year <= thisYear - 50) year += 100;
    return utc(year, match[2]!, day!, hour!, minute!, second!);
  }
  match = ASCTIME.exec(value);
  if (match !== null) {
    const [, , day, hour, minute, second, year] = match.map((part) => Number(part.trim()));
    return utc(year!, match[1]!, day!, hour!, minute!, second!);
  }
  return undefined;
}

/**
 * Reads a `Retry-After` value as a delay in ms from `now`: delta-seconds (`120`) or an
 * HTTP-date. Absent or invalid gives undefined; a negative delay or a past date gives 0.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^-?\d{1,15}$/.test(trimmed)) return Math.max(0, Number(trimmed) * 1000);
  const date = parseHttpDate(trimmed, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}

/**
 * A `Location` safe to keep: userinfo, query and fragment removed. Absolute URLs keep
 * scheme, host and path; relative references keep their path.
 */
export function redactLocation(location: string): string {
  const trimmed = location.trim();
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(trimmed)) {
    try {
      const url = new URL(trimmed);
      return `${url.protocol}${url.host === '' ? '' : `//${url.host}`}${url.pathname}`;
    } catch {
      return REDACTED;
    }
  }
  if (trimmed.startsWith('//')) {
    try {
      const url = new URL(`http:${trimmed}`);
      return `//${url.host}${url.pathname}`;
    } catch {
      return REDACTED;
    }
  }
  return trimmed.split(/[?#]/, 1)[0] ?? '';
}

/**
 * Whether a failure says the endpoint as a whole is unwell (no answer, 3xx, 5xx, 429,
 * 408), as opposed to one delivery it refuses (any other 4xx). Only these trip the
 * endpoint's breaker, and only the others split a batch.
 */
export function isEndpointWide(error: unknown): boolean {
  if (error instanceof EndpointRequestError) return true;
  if (error instanceof EndpointResponseError) return error.status < 400 || error.status >= 500 || error.status === 429 || error.status === 408;
  return false;
}
