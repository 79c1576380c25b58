import { HeraldError } from '@herald/events';
import { describe, expect, it } from 'vitest';
import {
  EndpointRequestError,
  EndpointResponseError,
  parseHttpDate,
  parseRetryAfter,
  redactLocation,
  requestFailureReason,
} from './endpoint-errors.js';

const NOW = Date.UTC(2026, 10, 28, 2, 15, 0);

describe('parseRetryAfter', () => {
  it('reads delta-seconds as ms', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads an IMF-fixdate as the delay from now', () => {
    expect(parseRetryAfter('Sat, 28 Nov 2026 02:15:30 GMT', NOW)).toBe(30_000);
  });

  it('reads the obsolete RFC 850 and asctime dates', () => {
    expect(parseRetryAfter('Saturday, 28-Nov-26 02:16:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Sat Nov 28 02:15:05 2026', NOW)).toBe(5000);
    expect(parseRetryAfter('Sun Nov  1 00:00:00 2026', Date.UTC(2026, 9, 31, 23, 59, 59))).toBe(1000);
  });

  it('gives 0 for a negative delay or a past date', () => {
    expect(parseRetryAfter('-5', NOW)).toBe(0);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
  });

  it('gives undefined when absent or invalid', () => {
    for (const value of [undefined, '', 'soon', '1.5', '7s', '0x10', 'Sat, 28 Nov 2026 02:15:30 UTC', 'Sat, 31 Feb 2026 02:15:30 GMT', '2026-11-28T02:15:30Z']) {
      expect(parseRetryAfter(value, NOW), String(value)).toBeUndefined();
    }
  });
});

describe('parseHttpDate', () => {
  it('reads the three forms of the RFC example to the same instant', () => {
    const instant = Date.UTC(1994, 10, 6, 8, 49, 37);
    const now = Date.UTC(2026, 0, 1);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(instant);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2000, 0, 1))).toBe(instant);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', now)).toBe(instant);
  });

  it('puts a two-digit year within 50 years of now', () => {
    expect(parseHttpDate('Monday, 01-Jan-74 00:00:00 GMT', NOW)).toBe(Date.UTC(2074, 0, 1));
    expect(parseHttpDate('Tuesday, 01-Jan-80 00:00:00 GMT', NOW)).toBe(Date.UTC(1980, 0, 1));
  });
});

describe('redactLocation', () => {
  it('strips userinfo, query and fragment from absolute URLs', () => {
    expect(redactLocation('http://user:pw@elsewhere/x?token=1')).toBe('http://elsewhere/x');
    expect(redactLocation('https://hooks.example:8443/a/b#frag')).toBe('https://hooks.example:8443/a/b');
    expect(redactLocation('//user:pw@elsewhere/x?token=1')).toBe('//elsewhere/x');
  });

  it('keeps the path of a relative reference', () => {
    expect(redactLocation('/moved?token=1')).toBe('/moved');
    expect(redactLocation('next#x')).toBe('next');
  });

  it('redacts what it cannot parse', () => {
    expect(redactLocation('http://[::1')).toBe('[redacted]');
  });
});

describe('EndpointResponseError', () => {
  it('is a HeraldError with a literal name and stable code', () => {
    const error = new EndpointResponseError('hooks', 500);
    expect(error).toBeInstanceOf(HeraldError);
    expect(error.name).toBe('EndpointResponseError');
    expect(error.code).toBe('HERALD_ERR_ENDPOINT_RESPONSE');
    expect(error.message).toBe('endpoint "hooks" answered 500');
  });

  it('reads Retry-After only for 429 and 503', () => {
    const headers = { 'retry-after': '7' };
    expect(EndpointResponseError.fromResponse('hooks', 429, headers, NOW).retryAfterMs).toBe(7000);
    expect(EndpointResponseError.fromResponse('hooks', 503, headers, NOW).retryAfterMs).toBe(7000);
    expect(EndpointResponseError.fromResponse('hooks', 500, headers, NOW).retryAfterMs).toBeUndefined();
  });

  it('keeps a redacted Location only for 3xx', () => {
    const headers = { location: 'http://user:pw@elsewhere/x?token=1' };
    const redirect = EndpointResponseError.fromResponse('hooks', 302, headers, NOW);
    expect(redirect.location).toBe('http://elsewhere/x');
    expect(redirect.message).not.toContain('token');
    expect(EndpointResponseError.fromResponse('hooks', 400, headers, NOW).location).toBeUndefined();
    expect(new EndpointResponseError('hooks', 301, { location: 'https://a:b@c/d?e' }).location).toBe('https://c/d');
  });
});

describe('EndpointRequestError', () => {
  it('names the endpoint, the reason and the network code', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const error = new EndpointRequestError('hooks', 'connection', { cause });
    expect(error.name).toBe('EndpointRequestError');
    expect(error.code).toBe('HERALD_ERR_ENDPOINT_REQUEST');
    expect(error.reason).toBe('connection');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('endpoint "hooks" gave no response: connection failed (ECONNREFUSED)');
  });
});

describe('requestFailureReason', () => {
  const cases: [object, string][] = [
    [{ name: 'TimeoutError', code: 'ETIMEDOUT' }, 'timeout'],
    [{ code: 'ETIMEDOUT' }, 'timeout'],
    [{ code: 'ECONNREFUSED' }, 'connection'],
    [{ code: 'ECONNRESET' }, 'connection'],
    [{ code: 'ENOTFOUND' }, 'connection'],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'tls'],
    [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'tls'],
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN' }, 'tls'],
    [{ code: 'CERT_HAS_EXPIRED' }, 'tls'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'tls'],
    [{ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }, 'tls'],
    [{ code: 'EPROTO', library: 'SSL routines' }, 'tls'],
    [{ code: 'HPE_INVALID_CONSTANT' }, 'protocol'],
    [{ code: 'HPE_INVALID_STATUS' }, 'protocol'],
    [{}, 'connection'],
  ];
  it.each(cases)('classifies %o as %s', (error, reason) => {
    expect(requestFailureReason(error)).toBe(reason);
  });
});
