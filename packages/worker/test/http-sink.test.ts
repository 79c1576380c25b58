import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ConfigError, type EndpointConfig } from '@herald/config';
import { EVENTS_MEDIA_TYPE_V1, EVENTS_MEDIA_TYPE_V2, SinkClosedError, type Event } from '@herald/events';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryListener } from '../src/delivery-listener.js';
import { EndpointRequestError, EndpointResponseError } from '../src/endpoint-errors.js';
import { HttpSink, type HttpSinkOptions } from '../src/http-sink.js';
import { verifySignature, webhookIdOf } from '../src/signature.js';
import { Receiver, startRawServer, type Handler } from './helpers/receiver.js';
import { endpointConfig, event } from './helpers/sink-fixture.js';
import { hasOpenssl, makeTlsFiles, type TlsFiles } from './helpers/tls-files.js';

const SECRET_A = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const SECRET_B = `whsec_${Buffer.alloc(24, 2).toString('base64')}`;

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(handler?: Handler, tls?: Parameters<typeof Receiver.start>[1]): Promise<Receiver> {
  const started = await Receiver.start(handler, tls);
  cleanups.push(() => started.close());
  return started;
}

function sinkFor(endpoint: EndpointConfig, options: Partial<HttpSinkOptions> = {}): HttpSink {
  const sink = new HttpSink(endpoint, { userAgent: 'herald/test', ...options });
  cleanups.push(() => sink.close());
  return sink;
}

function reply(status: number, headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    response.writeHead(status, headers).end(status === 204 ? undefined : 'answer');
  };
}

/** The rejection of `promise`; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the write to reject'),
    (error: unknown) => error,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('HttpSink on 2xx', () => {
  it.each([200, 202, 204])('resolves on %i', async (status) => {
    const endpoint = await receiver(reply(status));
    await sinkFor(endpointConfig(endpoint.url)).write(event('a'));
    expect(endpoint.requests).toHaveLength(1);
  });

  it.each([EVENTS_MEDIA_TYPE_V1, EVENTS_MEDIA_TYPE_V2])('POSTs exactly the envelope as %s', async (mediaType) => {
    const endpoint = await receiver();
    const events = [event('a'), event('b')];
    await sinkFor(endpointConfig(endpoint.url, { mediaType })).write(...events);
    const [request] = endpoint.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hook');
    expect(request?.body).toBe(JSON.stringify({ events }));
    expect(request?.headers['content-type']).toBe(mediaType);
    expect(request?.headers['user-agent']).toBe('herald/test');
    expect(request?.headers['content-encoding']).toBeUndefined();
  });

  it('sends URL userinfo as Basic auth unless an Authorization header is configured', async () => {
    const endpoint = await receiver();
    const url = endpoint.url.replace('http://', 'http://us%40er:p%3Ass@');
    await sinkFor(endpointConfig(url)).write(event('a'));
    await sinkFor(endpointConfig(url, { headers: { authorization: ['Bearer t'] } })).write(event('a'));
    expect(endpoint.requests.map((request) => request.headers.authorization)).toStrictEqual([
      `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`,
      'Bearer t',
    ]);
  });

  it('resolves an empty write without a request', async () => {
    const endpoint = await receiver();
    await sinkFor(endpointConfig(endpoint.url)).write();
    expect(endpoint.requests).toHaveLength(0);
  });

  it('sends multi-valued headers as repeated lines and keeps its own headers', async () => {
    const endpoint = await receiver();
    const headers = { 'X-Token': ['one', 'two'], 'x-single': ['solo'], 'User-Agent': ['custom/1'], 'Content-Type': ['text/plain'], 'webhook-id': ['forged'] };
    await sinkFor(endpointConfig(endpoint.url, { headers })).write(event('a'));
    const raw = endpoint.requests[0]?.rawHeaders ?? [];
    const values = (name: string) => raw.filter((_, i) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === name);
    expect(values('x-token')).toStrictEqual(['one', 'two']);
    expect(values('x-single')).toStrictEqual(['solo']);
    expect(values('user-agent')).toStrictEqual(['custom/1']);
    expect(values('content-type')).toStrictEqual([EVENTS_MEDIA_TYPE_V1]);
    expect(values('webhook-id')).toStrictEqual([webhookIdOf('hooks', ['a'])]);
  });

  it('sends a webhook-id that is stable for the same events and endpoint', async () => {
    const endpoint = await receiver();
    const sink = sinkFor(endpointConfig(endpoint.url));
    await sink.write(event('a'), event('b'));
    await sink.write(event('a'), event('b'));
    await sink.write(event('c'));
    await sinkFor(endpointConfig(endpoint.url, { name: 'other' })).write(event('a'), event('b'));
    const ids = endpoint.requests.map((request) => request.headers['webhook-id']);
    expect(ids[0]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[3]).not.toBe(ids[0]);
    expect(ids[0]).toBe(webhookIdOf('hooks', ['a', 'b']));
    // Without secrets, no timestamp or signature.
    expect(endpoint.requests[0]?.headers['webhook-signature']).toBeUndefined();
    expect(endpoint.requests[0]?.headers['webhook-timestamp']).toBeUndefined();
  });

  it('signs every attempt afresh, verifiable with each of two secrets', async () => {
    const endpoint = await receiver();
    const clock = [Date.UTC(2026, 10, 28, 2, 15, 0), Date.UTC(2026, 10, 28, 2, 15, 5)];
    let tick = 0;
    const now = () => clock[Math.min(tick, 1)]!;
    const sink = sinkFor(endpointConfig(endpoint.url, { secrets: [SECRET_A, SECRET_B] }), { now });
    await sink.write(event('a'));
    tick = 1;
    await sink.write(event('a'));
    const [first, second] = endpoint.requests;
    expect(first?.headers['webhook-timestamp']).toBe(String(clock[0]! / 1000));
    expect(second?.headers['webhook-timestamp']).toBe(String(clock[1]! / 1000));
    expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(second?.headers['webhook-signature']).not.toBe(first?.headers['webhook-signature']);
    for (const [index, request] of [first!, second!].entries()) {
      const signed = { id: request.headers['webhook-id'] as string, timestamp: request.headers['webhook-timestamp'] as string, signature: request.headers['webhook-signature'] as string };
      expect(signed.signature.split(' ')).toHaveLength(2);
      expect(verifySignature([SECRET_A], signed, request.body, { now: clock[index] })).toBe(true);
      expect(verifySignature([SECRET_B], signed, request.body, { now: clock[index] })).toBe(true);
      expect(verifySignature([`whsec_${Buffer.alloc(32, 9).toString('base64')}`], signed, request.body, { now: clock[index] })).toBe(false);
    }
  });
});

describe('HttpSink on other statuses', () => {
  it.each([400, 404, 500])('rejects %i with EndpointResponseError', async (status) => {
    const endpoint = await receiver(reply(status));
    const error = await rejection(sinkFor(endpointConfig(endpoint.url)).write(event('a')));
    expect(error).toBeInstanceOf(EndpointResponseError);
    expect(error).toMatchObject({ status, endpoint: 'hooks', retryAfterMs: undefined, code: 'HERALD_ERR_ENDPOINT_RESPONSE' });
  });

  it.each([429, 503])('reads Retry-After of %i in seconds and as a date', async (status) => {
    const second = Math.floor(Date.now() / 1000) * 1000;
    const endpoint = await receiver(reply(status, { 'retry-after': '7' }));
    const sink = sinkFor(endpointConfig(endpoint.url), { now: () => second });
    expect(await rejection(sink.write(event('a')))).toMatchObject({ status, retryAfterMs: 7000 });
    endpoint.handler = reply(status, { 'retry-after': new Date(second + 30_000).toUTCString() });
    expect(await rejection(sink.write(event('a')))).toMatchObject({ status, retryAfterMs: 30_000 });
    endpoint.handler = reply(status, { 'retry-after': 'later' });
    expect(await rejection(sink.write(event('a')))).toMatchObject({ status, retryAfterMs: undefined });
  });

  it('does not follow a redirect and keeps only a redacted Location', async () => {
    const target = await receiver();
    const endpoint = await receiver(reply(302, { location: `http://user:pw@127.0.0.1:${target.port}/x?token=1` }));
    const error = await rejection(sinkFor(endpointConfig(endpoint.url)).write(event('a')));
    expect(error).toBeInstanceOf(EndpointResponseError);
    expect(error).toMatchObject({ status: 302, location: `http://127.0.0.1:${target.port}/x` });
    expect(JSON.stringify(error) + String(error)).not.toMatch(/pw|token/);
    endpoint.handler = reply(307, { location: 'http://user:pw@elsewhere/x?token=1' });
    expect(await rejection(sinkFor(endpointConfig(endpoint.url)).write(event('a')))).toMatchObject({ status: 307, location: 'http://elsewhere/x' });
    await sleep(100);
    expect(target.requests).toHaveLength(0);
  });
});

describe('HttpSink without a usable response', () => {
  it('times out after timeoutMs when the endpoint never answers', async () => {
    const endpoint = await receiver(() => {});
    const sink = sinkFor(endpointConfig(endpoint.url, { timeoutMs: 300 }));
    const started = performance.now();
    const error = await rejection(sink.write(event('a')));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(EndpointRequestError);
    expect(error).toMatchObject({ reason: 'timeout', endpoint: 'hooks', code: 'HERALD_ERR_ENDPOINT_REQUEST' });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
  });

  it('reports a refused connection', async () => {
    const closed = await Receiver.start();
    const url = closed.url;
    await closed.close();
    const error = await rejection(sinkFor(endpointConfig(url)).write(event('a')));
    expect(error).toBeInstanceOf(EndpointRequestError);
    expect(error).toMatchObject({ reason: 'connection', cause: { code: 'ECONNREFUSED' } });
    expect((error as Error).message).toBe('endpoint "hooks" gave no response: connection failed (ECONNREFUSED)');
  });

  it('reports a connection reset in the middle of the headers', async () => {
    const server = await startRawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Ty');
        setTimeout(() => socket.destroy(), 20);
      });
    });
    cleanups.push(() => server.close());
    const error = await rejection(sinkFor(endpointConfig(server.url)).write(event('a')));
    expect(error).toBeInstanceOf(EndpointRequestError);
    expect(['connection', 'protocol']).toContain((error as EndpointRequestError).reason);
  });

  it('reports a response that is not HTTP as a protocol error', async () => {
    const server = await startRawServer((socket) => {
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    });
    cleanups.push(() => server.close());
    const error = await rejection(sinkFor(endpointConfig(server.url)).write(event('a')));
    expect(error).toMatchObject({ reason: 'protocol' });
  });

  it('reports a connection closed before any response', async () => {
    const server = await startRawServer((socket) => {
      socket.once('data', () => socket.destroy());
    });
    cleanups.push(() => server.close());
    expect(await rejection(sinkFor(endpointConfig(server.url)).write(event('a')))).toMatchObject({ reason: 'connection' });
  });
});

/** A handler that streams `chunk` until `limit` bytes or until the client goes away; `done` says which. */
function streaming(chunk: Buffer, limit: number, intervalMs: number): { handler: Handler; done: Promise<'closed' | 'finished'> } {
  let settle: (how: 'closed' | 'finished') => void = () => {};
  const done = new Promise<'closed' | 'finished'>((resolve) => (settle = resolve));
  const handler: Handler = (_request, response: ServerResponse) => {
    let sent = 0;
    response.writeHead(200, Number.isFinite(limit) ? { 'content-length': String(limit) } : {});
    response.on('close', () => settle(sent >= limit ? 'finished' : 'closed'));
    const pump = () => {
      while (!response.destroyed && sent < limit) {
        sent += chunk.length;
        if (!response.write(chunk)) {
          response.once('drain', pump);
          return;
        }
        if (intervalMs > 0) {
          setTimeout(pump, intervalMs);
          return;
        }
      }
      if (sent >= limit) response.end();
    };
    pump();
  };
  return { handler, done };
}

describe('HttpSink response bodies', () => {
  it('resolves on a 200 whose body never ends, and drops the connection', async () => {
    const { handler, done } = streaming(Buffer.alloc(64 * 1024, 120), Number.POSITIVE_INFINITY, 3);
    const endpoint = await receiver(handler);
    const started = performance.now();
    await sinkFor(endpointConfig(endpoint.url, { timeoutMs: 10_000 })).write(event('a'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await Promise.race([done, sleep(2000).then(() => 'still streaming')])).toBe('closed');
  });

  it('resolves on a 200 with a 50 MB body without reading it into memory', async () => {
    const total = 50 * 1024 * 1024;
    const { handler, done } = streaming(Buffer.alloc(1024 * 1024, 121), total, 0);
    const endpoint = await receiver(handler);
    const sink = sinkFor(endpointConfig(endpoint.url, { timeoutMs: 10_000 }));
    const before = process.memoryUsage().rss;
    const started = performance.now();
    await sink.write(event('a'));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await done).toBe('closed');
    const growth = process.memoryUsage().rss - before;
    expect(growth).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('HttpSink connections', () => {
  it('reuses kept-alive sockets for sequential writes', async () => {
    const endpoint = await receiver();
    const sink = sinkFor(endpointConfig(endpoint.url));
    for (let n = 0; n < 20; n += 1) await sink.write(event(`e${n}`));
    expect(endpoint.requests).toHaveLength(20);
    expect(endpoint.connections).toBeLessThanOrEqual(2);
  });

  it('rejects a write after close with SinkClosedError, and closes idempotently', async () => {
    const endpoint = await receiver();
    const sink = sinkFor(endpointConfig(endpoint.url));
    await sink.write(event('a'));
    await sink.close();
    await sink.close();
    expect(await rejection(sink.write(event('b')))).toBeInstanceOf(SinkClosedError);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('waits for writes in flight before closing', async () => {
    const endpoint = await receiver((_request, response) => {
      setTimeout(() => response.writeHead(200).end(), 150);
    });
    const sink = sinkFor(endpointConfig(endpoint.url));
    const write = sink.write(event('a'));
    await sleep(20);
    await sink.close();
    await expect(write).resolves.toBeUndefined();
  });
});

describe('HttpSink listener', () => {
  it('reports each attempt with its outcome and duration', async () => {
    const calls: unknown[][] = [];
    const listener: DeliveryListener = {
      onSuccess: (...args) => calls.push(['success', ...args]),
      onFailure: (...args) => calls.push(['failure', ...args]),
      onError: (...args) => calls.push(['error', ...args]),
    };
    const endpoint = await receiver(reply(202));
    const sink = sinkFor(endpointConfig(endpoint.url, { timeoutMs: 200 }), { listener });
    const events = [event('a'), event('b')];
    await sink.write(...events);
    endpoint.handler = reply(500);
    await rejection(sink.write(...events));
    endpoint.handler = () => {};
    const timeout = await rejection(sink.write(...events));
    expect(calls.map(([kind, name, written, outcome]) => [kind, name, written, outcome])).toStrictEqual([
      ['success', 'hooks', events, 202],
      ['failure', 'hooks', events, 500],
      ['error', 'hooks', events, timeout],
    ]);
    for (const call of calls) expect(call[4]).toBeTypeOf('number');
    expect(calls[2]?.[4]).toBeGreaterThanOrEqual(150);
  });

  it('survives a listener that throws', async () => {
    const endpoint = await receiver();
    const listener: DeliveryListener = {
      onSuccess: () => {
        throw new Error('metrics broke');
      },
      onFailure: () => {},
      onError: () => {},
    };
    await sinkFor(endpointConfig(endpoint.url), { listener }).write(event('a'));
  });
});

describe('HttpSink logging', () => {
  it('logs one debug line per attempt without URL credentials, header values, secrets or bodies', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const endpoint = await receiver(reply(200));
    const url = endpoint.url.replace('http://', 'http://user:url-password@') + '?token=query-secret';
    const config = endpointConfig(url, { headers: { Authorization: ['Bearer header-secret'] }, secrets: [SECRET_A] });
    const sink = sinkFor(config, { logger });
    const body = { ...event('a'), target: { repository: 'body-only-repository' } };
    await sink.write(body);
    endpoint.handler = reply(302, { location: 'http://user:location-password@elsewhere/x?token=location-secret' });
    await rejection(sink.write(body));
    const closed = await Receiver.start();
    const refusedUrl = closed.url.replace('http://', 'http://user:url-password@') + '?token=query-secret';
    await closed.close();
    await rejection(sinkFor({ ...config, url: refusedUrl }, { logger }).write(body));

    expect(endpoint.requests[0]?.headers.authorization).toBe('Bearer header-secret');
    const text = lines.join('');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: 20, endpoint: 'hooks', component: 'http-sink' });
    for (const secret of ['url-password', 'query-secret', 'header-secret', 'Bearer', SECRET_A, SECRET_A.slice(6), 'location-password', 'location-secret', 'body-only-repository', '/hook']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('HttpSink construction', () => {
  it('refuses a URL that is not http(s), without echoing it', () => {
    for (const url of ['ftp://user:pw-secret@host/x', 'not a url pw-secret']) {
      let error: unknown;
      try {
        new HttpSink(endpointConfig(url), { userAgent: 'x' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ key: 'url' });
      expect((error as Error).message).not.toContain('pw-secret');
    }
  });

  it('names the key of an unreadable or invalid file, never its content', () => {
    const missing = join(tmpdir(), `herald-missing-${randomUUID()}.pem`);
    expect(() => new HttpSink(endpointConfig('https://127.0.0.1:1/hook', { tls: { ca: missing, insecureSkipVerify: false } }), { userAgent: 'x' })).toThrow(
      expect.objectContaining({ name: 'ConfigError', key: 'tls.ca' }),
    );
    const garbage = join(tmpdir(), `herald-garbage-${randomUUID()}.pem`);
    writeFileSync(garbage, 'not-a-certificate-SECRET-CONTENT');
    cleanups.push(() => rmSync(garbage, { force: true }));
    let error: unknown;
    try {
      new HttpSink(endpointConfig('https://127.0.0.1:1/hook', { tls: { ca: garbage, insecureSkipVerify: false } }), { userAgent: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ key: 'tls.ca' });
    expect(String((error as Error).message)).not.toContain('SECRET-CONTENT');
  });
});

const OPENSSL = hasOpenssl();

describe.skipIf(!OPENSSL)(`HttpSink over https${OPENSSL ? '' : ' (skipped: openssl is not on PATH)'}`, () => {
  let files: TlsFiles;

  beforeAll(() => {
    files = makeTlsFiles();
  });

  afterAll(() => {
    files?.remove();
  });

  function server(extra: object = {}) {
    return receiver(reply(200), { cert: files.read(files.serverCert), key: files.read(files.serverKey), ...extra });
  }

  it('fails with reason tls when the CA is not trusted', async () => {
    const endpoint = await server();
    const error = await rejection(sinkFor(endpointConfig(endpoint.url)).write(event('a')));
    expect(error).toBeInstanceOf(EndpointRequestError);
    expect(error).toMatchObject({ reason: 'tls' });
    expect(endpoint.requests).toHaveLength(0);
  });

  it('delivers when tls.ca names the CA', async () => {
    const endpoint = await server();
    await sinkFor(endpointConfig(endpoint.url, { tls: { ca: files.caCert, insecureSkipVerify: false } })).write(event('a'));
    expect(endpoint.requests).toHaveLength(1);
  });

  it('delivers with insecureSkipVerify', async () => {
    const endpoint = await server();
    await sinkFor(endpointConfig(endpoint.url, { tls: { insecureSkipVerify: true } })).write(event('a'));
    expect(endpoint.requests).toHaveLength(1);
  });

  it('presents the client certificate for mutual TLS', async () => {
    const endpoint = await server({ requestCert: true, rejectUnauthorized: true, ca: files.read(files.caCert) });
    const tls = { ca: files.caCert, cert: files.clientCert, key: files.clientKey, insecureSkipVerify: false };
    await sinkFor(endpointConfig(endpoint.url, { tls })).write(event('a'));
    expect(endpoint.requests).toHaveLength(1);
    const error = await rejection(sinkFor(endpointConfig(endpoint.url, { tls: { ca: files.caCert, insecureSkipVerify: false } })).write(event('b')));
    expect(error).toBeInstanceOf(EndpointRequestError);
    expect(['tls', 'connection']).toContain((error as EndpointRequestError).reason);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('refuses a client key that does not match its certificate', () => {
    const tls = { ca: files.caCert, cert: files.clientCert, key: files.serverKey, insecureSkipVerify: false };
    expect(() => new HttpSink(endpointConfig('https://127.0.0.1:1/hook', { tls }), { userAgent: 'x' })).toThrow(
      expect.objectContaining({ name: 'ConfigError', key: 'tls.cert' }),
    );
  });
});
