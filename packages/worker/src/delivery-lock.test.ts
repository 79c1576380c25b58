import { describe, expect, it } from 'vitest';
import { deliveryLockMs, fanOutLockMs } from './delivery-lock.js';

describe('deliveryLockMs', () => {
  it('is the longer of 5 s and the timeout, so a killed worker is replaced within max(10 s, 2 × timeout)', () => {
    expect(deliveryLockMs({ timeoutMs: 1000 })).toBe(5000);
    expect(deliveryLockMs({ timeoutMs: 5000 })).toBe(5000);
    expect(deliveryLockMs({ timeoutMs: 30_000 })).toBe(30_000);
  });

  it('is worker.lockDurationMs for every endpoint when the config sets it', () => {
    expect(deliveryLockMs({ timeoutMs: 1000 }, 20_000)).toBe(20_000);
    expect(fanOutLockMs(20_000)).toBe(20_000);
    expect(fanOutLockMs()).toBe(10_000);
  });
});
