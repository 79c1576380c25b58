import { describe, expect, it } from 'vitest';
import { isDigest, tagOf } from './reference.js';

describe('tagOf', () => {
  it('returns the tag of a tag reference', () => {
    expect(tagOf('v1')).toBe('v1');
    expect(tagOf('latest')).toBe('latest');
    expect(tagOf('1.0.0-rc_1')).toBe('1.0.0-rc_1');
  });

  it('returns undefined for a digest reference', () => {
    expect(tagOf('sha256:812b0aad7519d739f876b9e130be60a9e2266b673a0b3c02532514d626d3a519')).toBeUndefined();
    expect(isDigest('sha512:abc')).toBe(true);
    expect(isDigest('v1')).toBe(false);
  });
});
