import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isHeadRequest, requestRecordOf } from './request-context.js';

function incoming(
  remoteAddress: string | undefined,
  remotePort: number | undefined,
  headers: Record<string, string> = {},
  method = 'GET',
): IncomingMessage {
  return { socket: { remoteAddress, remotePort }, headers, method } as unknown as IncomingMessage;
}

describe('requestRecordOf', () => {
  it('records id, addr, host, method and useragent in distribution order', () => {
    const record = requestRecordOf(incoming('127.0.0.1', 58960, { host: '127.0.0.1:5055', 'user-agent': 'skopeo/1.9.3' }, 'PUT'), 'r1');
    expect(record).toEqual({ id: 'r1', addr: '127.0.0.1:58960', host: '127.0.0.1:5055', method: 'PUT', useragent: 'skopeo/1.9.3' });
    expect(Object.keys(record)).toEqual(['id', 'addr', 'host', 'method', 'useragent']);
  });

  it('writes IPv6 peers in brackets and unmaps IPv4-mapped ones', () => {
    expect(requestRecordOf(incoming('::1', 4000), 'r').addr).toBe('[::1]:4000');
    expect(requestRecordOf(incoming('::ffff:10.0.0.7', 4000), 'r').addr).toBe('10.0.0.7:4000');
  });

  it('leaves out what the request does not have', () => {
    expect(requestRecordOf(incoming(undefined, undefined), 'r')).toEqual({ id: 'r', method: 'GET' });
  });

  it('makes a UUIDv7 request id by default', () => {
    expect(requestRecordOf(incoming('127.0.0.1', 1)).id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('does not trust X-Forwarded-For', () => {
    expect(requestRecordOf(incoming('10.0.0.1', 1, { 'x-forwarded-for': '203.0.113.9' }), 'r').addr).toBe('10.0.0.1:1');
  });
});

describe('isHeadRequest', () => {
  it('is true only for method HEAD', () => {
    expect(isHeadRequest({ request: { method: 'HEAD' } })).toBe(true);
    expect(isHeadRequest({ request: { method: 'GET' } })).toBe(false);
    expect(isHeadRequest({})).toBe(false);
  });
});
