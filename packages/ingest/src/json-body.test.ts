import { describe, expect, it } from 'vitest';
import { BodyEncodingError, parseJsonBody } from './json-body.js';

describe('parseJsonBody', () => {
  it('parses UTF-8 JSON, multi-byte characters included', () => {
    expect(parseJsonBody(Buffer.from('{"a":"héllo ✓"}'))).toStrictEqual({ a: 'héllo ✓' });
  });

  it.each([
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'not valid UTF-8'],
    ['a truncated body', Buffer.from('{"events":[{"id":'), 'not valid JSON'],
    ['an empty body', Buffer.from('  '), 'body is empty'],
  ])('refuses %s', (_name, body, message) => {
    expect(() => parseJsonBody(body)).toThrow(BodyEncodingError);
    expect(() => parseJsonBody(body)).toThrow(message);
  });
});
