import { randomFillSync } from 'node:crypto';

/** Largest unix time in ms that fits the 48-bit field of a UUIDv7. */
const MAX_TIMESTAMP = 2 ** 48 - 1;
/** The 12-bit counter after the version nibble is seeded below this, leaving room to count up. */
const COUNTER_SEED_LIMIT = 0x800;
const COUNTER_MAX = 0xfff;

let lastMs = -1;
let counter = 0;

/**
 * Makes an RFC 9562 UUIDv7: a 48-bit unix timestamp in ms, version 7, variant 10,
 * then random bits from `crypto.randomFillSync`. Ids sort by time, as event ids should.
 *
 * Within one process, ids made in the same millisecond also sort in the order they were
 * made: the 12 bits after the version (`rand_a`) are a counter seeded at random below 2048
 * at each new millisecond and incremented for each further id (RFC 9562 §6.2, method 1).
 * Past 4095 the counter is seeded again, so order is kept for at least 2048 ids a
 * millisecond; uniqueness never depends on it (62 more random bits). A clock that steps
 * back gives ids that sort earlier.
 *
 * @param now - unix time in ms. @defaultValue Date.now()
 * @throws RangeError when `now` is not an integer from 0 to 2^48 - 1.
 */
export function uuidv7(now: number = Date.now()): string {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIMESTAMP) {
    throw new RangeError(`uuidv7: timestamp must be an integer from 0 to 2^48 - 1 ms, not ${now}`);
  }
  const bytes = randomFillSync(new Uint8Array(16));
  if (now === lastMs && counter < COUNTER_MAX) {
    counter += 1;
  } else {
    lastMs = now;
    counter = ((bytes[6]! << 8) | bytes[7]!) % COUNTER_SEED_LIMIT;
  }
  const view = new DataView(bytes.buffer);
  view.setUint16(0, Math.floor(now / 2 ** 32));
  view.setUint32(2, now >>> 0);
  view.setUint16(6, 0x7000 | counter);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Reads the unix time in ms back out of a UUIDv7; for tests and diagnostics. */
export function uuidv7Timestamp(id: string): number {
  const hex = id.replaceAll('-', '').slice(0, 12);
  return Number.parseInt(hex, 16);
}
