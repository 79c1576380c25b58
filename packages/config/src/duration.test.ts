import { describe, expect, it } from 'vitest';
import { DurationSyntaxError, formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['1s', 1000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['300us', 0.3],
    ['300µs', 0.3],
    ['1500ns', 0.0015],
    ['.5s', 500],
    ['+1s', 1000],
    [' 1s ', 1000],
  ])('parses %s as %f ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '1', '10 s', '1d', 's', '1s2', 'fast', '1.s.', '1sm'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationSyntaxError);
  });

  it('rejects negative durations with their own reason', () => {
    expect(() => parseDuration('-1s')).toThrow('must not be negative');
  });

  it('rejects a duration too long to be a number (found by load-config.property.test.ts)', () => {
    expect(() => parseDuration(`${'9'.repeat(400)}h`)).toThrow('is too long');
  });

  it('rejects what Go would overflow on, which made a retry date no Date can hold', () => {
    expect(parseDuration('2562047h')).toBe(2_562_047 * 3_600_000);
    expect(() => parseDuration('2562048h')).toThrow('is too long: at most 2562047h');
    expect(() => parseDuration('10000000000h')).toThrow('is too long: at most 2562047h');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1000, '1s'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [1500, '1.5s'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
