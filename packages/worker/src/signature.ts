import { createHmac, timingSafeEqual } from 'node:crypto';
import { idListDigest } from '@herald/producer';

/**
 * Standard Webhooks (https://www.standardwebhooks.com, spec 1.0.0), symmetric scheme:
 * each delivery carries `webhook-id`, `webhook-timestamp` and `webhook-signature`, where a
 * signature is `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed with the
 * base64-decoded part of a `whsec_` secret. Several secrets give several space-separated
 * signatures, so a receiver can rotate its secret without downtime.
 */

/** Header that names a delivery; it stays the same across retries, so receivers dedupe on it. */
export const WEBHOOK_ID_HEADER = 'webhook-id';
/** Header with the attempt's time, in whole seconds since the epoch. */
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
/** Header with the space-separated `v1,<base64>` signatures, one per secret. */
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

const SECRET_PREFIX = 'whsec_';
const SIGNATURE_VERSION = 'v1';

/** The three Standard Webhooks headers of a request, as a receiver got them. */
export interface WebhookHeaders {
  readonly id: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

/** Options of verifySignature. */
export interface VerifyOptions {
  /** Largest difference between `webhook-timestamp` and now, either way, in seconds. @defaultValue 300 */
  toleranceSeconds?: number | undefined;
  /** The current time, in ms since the epoch. @defaultValue Date.now() */
  now?: number | undefined;
}

function keyOf(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new TypeError('a webhook secret must be "whsec_" followed by base64');
  return key;
}

function digest(key: Buffer, msgId: string, timestampSeconds: number, body: string): Buffer {
  return createHmac('sha256', key).update(`${msgId}.${timestampSeconds}.${body}`, 'utf8').digest();
}

/**
 * Signs one attempt: the `webhook-signature` value for `body` sent with `msgId` at
 * `timestampSeconds`, one `v1,<base64>` per secret, space-separated, in the order given.
 * `body` must be exactly the bytes sent (as a UTF-8 string).
 */
export function signPayload(secrets: readonly string[], msgId: string, timestampSeconds: number, body: string): string {
  if (secrets.length === 0) throw new RangeError('signPayload needs at least one secret');
  if (msgId.includes('.')) throw new TypeError('a webhook id must not contain "."');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new TypeError('a webhook timestamp must be whole seconds since the epoch');
  return secrets
    .map((secret) => `${SIGNATURE_VERSION},${digest(keyOf(secret), msgId, timestampSeconds, body).toString('base64')}`)
    .join(' ');
}

/**
 * Whether a request is authentic: its timestamp lies within the tolerance of now and one
 * of its `v1` signatures matches one of `secrets`, compared in constant time. Missing or
 * malformed headers give false; other signature versions (`v1a`) are ignored.
 */
export function verifySignature(secrets: readonly string[], headers: WebhookHeaders, body: string, options: VerifyOptions = {}): boolean {
  const { id, timestamp, signature } = headers;
  if (id === undefined || timestamp === undefined || signature === undefined || !/^\d{1,15}$/.test(timestamp)) return false;
  const seconds = Number(timestamp);
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - seconds) > (options.toleranceSeconds ?? 300)) return false;
  const expected = secrets.map((secret) => digest(keyOf(secret), id, seconds, body));
  const offered = signature
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === SIGNATURE_VERSION && value !== undefined)
    .map(([, value]) => Buffer.from(value ?? '', 'base64'));
  return offered.some((candidate) => expected.some((mac) => mac.length === candidate.length && timingSafeEqual(mac, candidate)));
}

/**
 * The `webhook-id` of a delivery: `msg_` and 32 hex digits of SHA-256 over the endpoint
 * name and the event ids, one per line (idListDigest). The same events to the same endpoint
 * always get the same id, across retries, workers and replays; other events or another
 * endpoint get another id, even when an id holds a line break.
 */
export function webhookIdOf(endpoint: string, eventIds: readonly string[]): string {
  return `msg_${idListDigest([endpoint, ...eventIds], 'joined').toString('hex').slice(0, 32)}`;
}
