import { describe, expect, it } from 'vitest';
import { uuidv7, uuidv7Timestamp } from './uuid-v7.js';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('has the 8-4-4-4-12 lowercase hex format with version 7 and variant 10', () => {
    for (let i = 0; i < 200; i += 1) expect(uuidv7()).toMatch(FORMAT);
  });

  it('encodes the timestamp in the first 48 bits, big-endian', () => {
    const now = 0x0123_4567_89ab;
    const id = uuidv7(now);
    expect(id.slice(0, 13)).toBe('01234567-89ab');
    expect(uuidv7Timestamp(id)).toBe(now);
  });

  it('encodes the current time by default', () => {
    const before = Date.now();
    const id = uuidv7();
    expect(uuidv7Timestamp(id)).toBeGreaterThanOrEqual(before);
    expect(uuidv7Timestamp(id)).toBeLessThanOrEqual(Date.now());
  });

  it('accepts the smallest and largest timestamps', () => {
    expect(uuidv7(0).slice(0, 13)).toBe('00000000-0000');
    expect(uuidv7(2 ** 48 - 1).slice(0, 13)).toBe('ffffffff-ffff');
  });

  it('sorts ids by time', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_001_000, 1_800_000_000_000].map((ms) => uuidv7(ms));
    expect([...ids].sort()).toEqual(ids);
  });

  it('sorts ids made in the same millisecond in the order they were made', () => {
    const ids = Array.from({ length: 2048 }, () => uuidv7(1_750_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays unique past the counter of one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7(1_760_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(FORMAT);
  });

  it('rejects timestamps that do not fit 48 bits', () => {
    expect(() => uuidv7(-1)).toThrow(RangeError);
    expect(() => uuidv7(2 ** 48)).toThrow(RangeError);
    expect(() => uuidv7(1.5)).toThrow(RangeError);
    expect(() => uuidv7(Number.NaN)).toThrow(RangeError);
  });
});
