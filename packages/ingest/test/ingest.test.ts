import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { createProducer, INGRESS_QUEUE, type Producer } from '@herald/producer';
import { deleteKeys, REDIS_URL, testPrefix } from '../../../test/helpers/redis-keys.js';
import { RedisServer } from '../../../test/helpers/redis-server.js';
import { registerIngest } from '../src/index.js';

const V1 = 'application/vnd.docker.distribution.events.v1+json';
const V2 = 'application/vnd.docker.distribution.events.v2+json';
const TOKEN = 'ingest-token-123';
const captured: { step: string; body: { events: Event[] } }[] = readFileSync(
  new URL('../../events/test/fixtures/distribution-2.8.2.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));

async function gateway(producer: Producer, listener?: { onRequest(status: number, events: number): void }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await registerIngest(app, { sink: producer, token: TOKEN, maxBodyBytes: 4096, ...(listener ? { listener } : {}) });
  return app;
}

function post(app: FastifyInstance, body: string | Buffer, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/events',
    payload: body,
    headers: { 'content-type': V1, authorization: `Bearer ${TOKEN}`, ...headers },
  });
}

describe('POST /events', () => {
  let prefix: string;
  let producer: Producer;
  let queue: Queue;
  let app: FastifyInstance;
  const statuses: number[] = [];

  beforeEach(async () => {
    prefix = testPrefix();
    producer = createProducer({ redis: REDIS_URL, prefix });
    queue = new Queue(INGRESS_QUEUE, { connection: { url: REDIS_URL }, prefix });
    statuses.length = 0;
    app = await gateway(producer, { onRequest: (status) => void statuses.push(status) });
  });

  afterEach(async () => {
    await app.close();
    await producer.close();
    await queue.close();
    await deleteKeys(REDIS_URL, prefix);
  });

  const queuedEvents = async () => (await queue.getJobs(['waiting'])).flatMap((job) => (job.data as { events: Event[] }).events);

  it('accepts every captured envelope and stores each event unchanged', async () => {
    for (const request of captured) {
      const response = await post(app, JSON.stringify(request.body, null, 3));
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ accepted: request.body.events.length });
    }
    const stored = await queuedEvents();
    // The registry sent one envelope twice (a retry): it is stored once.
    const sent = [...new Map(captured.flatMap((request) => request.body.events).map((e) => [e.id, e])).values()];
    expect(sent.length).toBe(captured.length - 1);
    expect(stored).toHaveLength(sent.length);
    for (const event of sent) expect(stored.find((e) => e.id === event.id && JSON.stringify(e) === JSON.stringify(event))).toBeDefined();
  });

  it('accepts v2 and application/json too, with parameters', async () => {
    const [a, b, c] = captured.map((request) => JSON.stringify(request.body));
    expect((await post(app, a!, { 'content-type': V2 })).statusCode).toBe(202);
    expect((await post(app, b!, { 'content-type': 'application/json; charset=utf-8' })).statusCode).toBe(202);
    expect((await post(app, c!, { 'content-type': `${V1}; charset=utf-8` })).statusCode).toBe(202);
    expect(await queue.getWaitingCount()).toBe(3);
  });

  it('enqueues an envelope POSTed twice once', async () => {
    const body = JSON.stringify(captured[0]!.body);
    const first = await post(app, body);
    const second = await post(app, body);
    expect([first.statusCode, second.statusCode]).toStrictEqual([202, 202]);
    expect(first.json()).toStrictEqual(second.json());
    expect(await queue.getWaitingCount()).toBe(1);
  });

  const valid = JSON.stringify(captured[0]!.body);
  it.each([
    ['no token', valid, { authorization: '' }, 401, 'unauthorized', 'missing Authorization'],
    ['a wrong token', valid, { authorization: 'Bearer nope' }, 401, 'unauthorized', 'wrong bearer token'],
    ['basic auth', valid, { authorization: 'Basic YTpi' }, 401, 'unauthorized', 'must be "Bearer <token>"'],
    ['text/plain', valid, { 'content-type': 'text/plain' }, 415, 'unsupported_media_type', 'Content-Type must be one of'],
    ['no content type', valid, { 'content-type': '' }, 415, 'unsupported_media_type', 'Content-Type must be one of'],
    ['a gzip body', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), { 'content-encoding': 'gzip' }, 415, 'unsupported_media_type', 'Content-Encoding is not supported'],
    ['a body over maxBodyBytes', JSON.stringify({ events: [{ ...captured[0]!.body.events[0], pad: 'x'.repeat(5000) }] }), {}, 413, 'payload_too_large', '4096 bytes'],
    ['a body that is not JSON', '{"events": [', {}, 400, 'invalid_envelope', 'not valid JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), {}, 400, 'invalid_envelope', 'not valid UTF-8'],
    ['an empty body', '', {}, 400, 'invalid_envelope', 'empty'],
    // Found by ingest.property.test.ts: was a 415 saying the (right) Content-Type was wrong.
    ['a body shorter than its Content-Length', valid, { 'content-length': String(valid.length + 1) }, 400, 'bad_request', 'does not match Content-Length'],
    ['a body longer than its Content-Length', valid, { 'content-length': String(valid.length - 1) }, 400, 'bad_request', 'does not match Content-Length'],
    ['a JSON array', '[]', {}, 400, 'invalid_envelope', '$ must be an object'],
  ])('refuses %s and enqueues nothing', async (_name, body, headers, status, error, message) => {
    const cleaned = Object.fromEntries(Object.entries(headers as Record<string, string>).filter(([, v]) => v !== ''));
    const response = await app.inject({
      method: 'POST',
      url: '/events',
      payload: body,
      headers: {
        ...('content-type' in (headers as object) && (headers as Record<string, string>)['content-type'] === '' ? {} : { 'content-type': V1 }),
        ...('authorization' in (headers as object) && (headers as Record<string, string>)['authorization'] === '' ? {} : { authorization: `Bearer ${TOKEN}` }),
        ...cleaned,
      },
    });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error });
    expect(response.json().message).toContain(message);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    expect(statuses).toStrictEqual([status]);
  });

  it('lists every problem of an invalid envelope with its JSON path', async () => {
    const event = captured[0]!.body.events[0]!;
    const body = JSON.stringify({ events: [{ ...event, timestamp: 'now' }, { ...event, id: 7, target: { size: '1' } }] });
    const response = await post(app, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().problems).toStrictEqual([
      { path: 'events[0].timestamp', reason: 'must be an RFC 3339 timestamp such as 2006-01-02T15:04:05.999999999Z' },
      { path: 'events[1].id', reason: 'must be a string, not a number' },
      { path: 'events[1].target.size', reason: 'must be a non-negative integer' },
    ]);
    expect(await queue.getWaitingCount()).toBe(0);
  });

  it('asks for the token before reading the body', async () => {
    const response = await post(app, 'x'.repeat(10_000), { authorization: 'Bearer wrong' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="herald"');
  });
});

describe('POST /events while Redis is down', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.destroy();
  });

  it('answers 503 within the producer timeout, then 202 once Redis is back', async () => {
    const producer = createProducer({ redis: server.url, prefix: 'ingest-outage', timeoutMs: 800 });
    const app = await gateway(producer);
    try {
      const body = JSON.stringify(captured[1]!.body);
      await server.stop('SIGKILL');
      const started = performance.now();
      const down = await post(app, body);
      expect(down.statusCode).toBe(503);
      expect(performance.now() - started).toBeLessThan(800 + 600);
      expect(down.headers['retry-after']).toBe('5');
      expect(down.json()).toStrictEqual({ error: 'unavailable', message: 'Herald cannot store events right now; retry later' });
      await server.restart();
      const deadline = Date.now() + 10_000;
      let status = 0;
      // A registry retries after a pause; so does this loop, which lets the client see the reconnect.
      while (status !== 202 && Date.now() < deadline) {
        status = (await post(app, body)).statusCode;
        if (status !== 202) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(202);
    } finally {
      await app.close();
      await producer.close();
    }
  });
});
