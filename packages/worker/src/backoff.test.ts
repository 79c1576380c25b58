import { describe, expect, it } from 'vitest';
import { backoffDelay, givesUp, retryDelay, type RetryPolicy } from './backoff.js';

const policy: RetryPolicy = { backoffMs: 1000, threshold: 3, maxBackoffMs: 60_000, maxAgeMs: 3_600_000 };
const noJitter = () => 0;

describe('backoffDelay', () => {
  it('waits backoff for the first threshold retries, then doubles up to maxbackoff', () => {
    const delays = Array.from({ length: 12 }, (_, n) => backoffDelay(policy, n + 1, noJitter));
    expect(delays).toStrictEqual([1000, 1000, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
  });

  it('adds at most 10% jitter and never fires early', () => {
    for (let retry = 1; retry < 20; retry += 1) {
      const base = backoffDelay(policy, retry, noJitter);
      expect(backoffDelay(policy, retry, () => 0.999_999)).toBeLessThanOrEqual(Math.round(base * 1.1));
      expect(backoffDelay(policy, retry, Math.random)).toBeGreaterThanOrEqual(base);
    }
  });

  it('stays finite after very many retries', () => {
    expect(backoffDelay(policy, 10_000, noJitter)).toBe(60_000);
  });
});

describe('retryDelay', () => {
  it('honours Retry-After, clamped to maxbackoff', () => {
    expect(retryDelay(policy, 1, 7000, noJitter)).toBe(7000);
    expect(retryDelay(policy, 9, 7000, noJitter)).toBe(7000);
    expect(retryDelay(policy, 1, 3_600_000, noJitter)).toBe(60_000);
    expect(retryDelay(policy, 1, -5, noJitter)).toBe(0);
  });

  it('follows the schedule without Retry-After', () => {
    expect(retryDelay(policy, 5, undefined, noJitter)).toBe(4000);
  });
});

describe('givesUp', () => {
  it('gives up when the next try would fall after maxage', () => {
    expect(givesUp(policy, 0, 3_590_000, 9_000)).toBe(false);
    expect(givesUp(policy, 0, 3_590_000, 11_000)).toBe(true);
  });

  it('never gives up with maxage 0', () => {
    expect(givesUp({ ...policy, maxAgeMs: 0 }, 0, Number.MAX_SAFE_INTEGER / 2, 60_000)).toBe(false);
  });
});
