import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import {
  createProducer,
  deliveryEvents,
  endpointQueueName,
  envelopeJobId,
  INGRESS_QUEUE,
  publishRoutes,
  routingTable,
  type DeliveryJobData,
  type Producer,
} from '@herald/producer';
import { httpRequest, rawRequest, type RawEnding } from '../../../test/chaos/helpers/raw-http.js';
import { fuzzParameters, fuzzTimeout } from '../../../test/helpers/fuzz-runs.js';
import { wireText } from '../../../test/helpers/hostile-envelopes.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../../../test/helpers/redis-keys.js';
import { registerIngest } from '../src/index.js';

/**
 * Properties of POST /events over hostile requests — near-valid envelopes (the fixtures
 * mutated deep), arbitrary JSON and bytes, odd content types and lengths — through
 * `app.inject()` and through raw sockets to a listening server, with a real Redis:
 * no 5xx, no uncaught exception, and Redis holds exactly the envelopes answered 202, each
 * as sent, and nothing of any other. Cases: HERALD_FUZZ_RUNS (test/helpers/fuzz-runs.ts).
 */

const V1 = 'application/vnd.docker.distribution.events.v1+json';
const TOKEN = 'fuzz-token-123';
const MAX_BODY_BYTES = 64 * 1024;
/** Cases per Redis prefix: keys are checked, then deleted, at each change. */
const CASES_PER_PREFIX = 250;

/** Content types ingest accepts, as registries send them. */
const ACCEPTED_TYPES = [V1, 'application/vnd.docker.distribution.events.v2+json', 'application/json', `${V1}; charset=utf-8`];

const contentType = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom(...ACCEPTED_TYPES) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'APPLICATION/JSON', 'application/json;charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/json, text/plain', `${V1};;`, ' application/json', 'application/jsonx', '*/*', 'application/', ';', 'application/json; charset="utf-8"',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).filter((text) => !/[\r\n\0]/.test(text)) },
);

const authorization = fc.oneof(
  { weight: 18, arbitrary: fc.constant(`Bearer ${TOKEN}`) },
  { weight: 2, arbitrary: fc.constantFrom(`bearer ${TOKEN}`, `Bearer  ${TOKEN} `, 'Bearer', 'Bearer wrong', `Basic ${TOKEN}`, '', `Bearer ${TOKEN}x`) },
);

/** A body: a near-valid envelope, any JSON, any bytes, or one too large. */
const body = fc.oneof(
  { weight: 6, arbitrary: wireText().map((text) => Buffer.from(text, 'utf8')) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text, 'utf8')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '{}', '{"events":[]}', '{"events":null}', '"events"', '1e400').map((text) => Buffer.from(text)) },
);

/** The events a 202 must have stored: those of the body the server read. */
function eventsOf(bytes: Buffer): Event[] {
  return (JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { events: Event[] }).events;
}

/**
 * What Redis must hold: one job per envelope id answered 202, with the events first
 * accepted under that id (writing the same ids again adds nothing), and nothing else.
 */
class Ledger {
  readonly accepted = new Map<string, string>();

  /** Records a 202 for `events` answered with `id`; returns the events Redis must hold under it. */
  accept(id: string, events: readonly Event[]): string {
    if (!this.accepted.has(id)) this.accepted.set(id, JSON.stringify(events));
    return this.accepted.get(id)!;
  }
}

/** A gateway on its own prefix, its producer, the queue it fills, and what it accepted. */
interface Gateway {
  readonly prefix: string;
  readonly app: FastifyInstance;
  readonly producer: Producer;
  readonly queue: Queue;
  readonly ledger: Ledger;
  cases: number;
}

async function openGateway(routed: boolean, listen: boolean): Promise<Gateway> {
  const prefix = testPrefix();
  if (routed) {
    const redis = new Redis(REDIS_URL);
    await publishRoutes(redis, prefix, routingTable([{ name: 'all', ignore: { mediaTypes: [], actions: [] } }, { name: 'no-pulls', ignore: { mediaTypes: [], actions: ['pull'] } }]));
    redis.disconnect();
  }
  const producer = createProducer({ redis: REDIS_URL, prefix });
  const app = Fastify({ logger: false });
  await registerIngest(app, { sink: producer, token: TOKEN, maxBodyBytes: MAX_BODY_BYTES });
  if (listen) await app.listen({ host: '127.0.0.1', port: 0 });
  const queue = new Queue(routed ? endpointQueueName('all') : INGRESS_QUEUE, { connection: { url: REDIS_URL }, prefix });
  return { prefix, app, producer, queue, ledger: new Ledger(), cases: 0 };
}

/** Checks that Redis holds one job per accepted id and no key of anything refused, then deletes the prefix. */
async function closeGateway(gateway: Gateway): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await scanKeys(redis, `${gateway.prefix}:`);
    const ids = new Set(gateway.ledger.accepted.keys());
    const structural = /^(?:routes|routes:known|[^:]+:(?:meta|id|events|wait|paused|active|delayed|prioritized|completed|failed|marker|stalled-check|pc))$/;
    for (const key of keys) {
      const rest = key.slice(gateway.prefix.length + 1);
      const id = /^[^:]+:(?:de:)?([A-Za-z0-9_-]{22})$/.exec(rest)?.[1];
      expect(structural.test(rest) || (id !== undefined && ids.has(id)), `unexpected key ${rest}`).toBe(true);
    }
  } finally {
    redis.disconnect();
    await gateway.app.close();
    await gateway.producer.close();
    await gateway.queue.close();
    await deleteKeys(REDIS_URL, gateway.prefix);
  }
}

async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

/** After one answer: a 202 stored its envelope as sent, anything else stored nothing. */
async function checkStored(gateway: Gateway, status: number | undefined, answer: unknown, read: Buffer | undefined, routed: boolean): Promise<void> {
  expect(status === undefined || status < 500, `status ${status}: ${JSON.stringify(answer)}`).toBe(true);
  if (status === 202) {
    const { id, accepted } = answer as { id: string; accepted: number };
    const job = await gateway.queue.getJob(id);
    expect(job, `job ${id}`).toBeDefined();
    const stored = routed ? deliveryEvents(job!.data as DeliveryJobData) : (job!.data as { events: Event[] }).events;
    expect(envelopeJobId(stored)).toBe(id);
    if (read !== undefined) {
      const sent = eventsOf(read);
      expect(accepted).toBe(sent.length);
      expect(envelopeJobId(sent)).toBe(id);
      expect(JSON.stringify(stored)).toBe(gateway.ledger.accept(id, sent));
    } else {
      gateway.ledger.accept(id, stored);
    }
  } else if (status !== undefined) {
    expect(answer, `status ${status}`).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  }
  expect(await gateway.queue.count(), `jobs after status ${status}: ${JSON.stringify(answer)}`).toBe(gateway.ledger.accepted.size);
}

/** A gateway for each case, a fresh one (new prefix, new port) every CASES_PER_PREFIX cases. */
function rotating(routed: boolean, listen: boolean) {
  let gateway: Gateway | undefined;
  return {
    async next(): Promise<Gateway> {
      if (gateway !== undefined && gateway.cases >= CASES_PER_PREFIX) {
        await closeGateway(gateway);
        gateway = undefined;
      }
      gateway ??= await openGateway(routed, listen);
      gateway.cases += 1;
      return gateway;
    },
    async close(): Promise<void> {
      if (gateway !== undefined) await closeGateway(gateway);
      gateway = undefined;
    },
  };
}

const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => void uncaught.push(error);
beforeAll(() => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});
afterEach(() => {
  expect(uncaught).toStrictEqual([]);
});

describe('POST /events through inject (properties)', () => {
  const gateways = rotating(false, false);
  afterAll(() => gateways.close());

  it(
    'answers any request below 500 and stores exactly what it accepts',
    async () => {
      const request = fc.record({
        body,
        contentType: fc.option(contentType, { nil: undefined, freq: 20 }),
        authorization: fc.option(authorization, { nil: undefined, freq: 20 }),
        url: fc.oneof({ weight: 9, arbitrary: fc.constantFrom('/events', '/events?x=1') }, { weight: 1, arbitrary: fc.constantFrom('/events/', '/EVENTS', '//events', '/events#x') }),
        traceparent: fc.option(fc.oneof(fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), fc.string({ maxLength: 60 }).filter((text) => !/[\r\n\0]/.test(text)))),
        padding: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(MAX_BODY_BYTES) }),
        // A Content-Length that is not the body's (inject sends it as given).
        lengthDelta: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1, 100) }),
      });
      await fc.assert(
        fc.asyncProperty(request, async (sent) => {
          const gateway = await gateways.next();
          const payload = sent.padding === 0 ? sent.body : Buffer.concat([sent.body, Buffer.alloc(sent.padding, 0x20)]);
          const headers: Record<string, string> = {};
          if (sent.contentType !== undefined) headers['content-type'] = sent.contentType;
          if (sent.authorization !== undefined) headers['authorization'] = sent.authorization;
          if (sent.traceparent !== null) headers['traceparent'] = sent.traceparent;
          if (sent.lengthDelta !== 0) headers['content-length'] = String(Math.max(0, payload.length + sent.lengthDelta));
          const response = await gateway.app.inject({ method: 'POST', url: sent.url, payload, headers });
          let answer: unknown;
          expect(() => (answer = response.json()), response.body).not.toThrow();
          // A refusal names the real problem: never "unsupported media type" for a type ingest accepts.
          if (sent.contentType !== undefined && ACCEPTED_TYPES.includes(sent.contentType)) expect(response.statusCode, response.body).not.toBe(415);
          await checkStored(gateway, response.statusCode, answer, sent.lengthDelta === 0 ? payload : undefined, false);
        }),
        fuzzParameters(0.18),
      );
    },
    fuzzTimeout(0.18, 15),
  );
});

/** The final answer in a raw response, after any interim `100 Continue`: its status, and its body as JSON when it is JSON. */
function finalAnswer(text: string): { status: number | undefined; answer: unknown } {
  const final = text.replace(/^(?:HTTP\/1\.[01] 1\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n)+/, '');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(final)?.[1];
  const head = final.indexOf('\r\n\r\n');
  const length = /\r\ncontent-length: *(\d+)/i.exec(final.slice(0, head))?.[1];
  // Only this answer's body: bytes after it answer what the server read as a next request.
  const body = final.slice(head + 4, length === undefined ? undefined : head + 4 + Number(length));
  try {
    return { status: status === undefined ? undefined : Number(status), answer: JSON.parse(body) as unknown };
  } catch {
    return { status: status === undefined ? undefined : Number(status), answer: body };
  }
}

/** How the request says how long its body is. */
type Framing = 'honest' | 'short' | 'long' | 'omit' | 'garbage' | 'chunked' | 'broken-chunks' | 'both';

function framed(bytes: Buffer, framing: Framing, cut: number): { headers: Record<string, string>; body: Buffer; contentLength?: number | 'omit'; read: Buffer | undefined } {
  const short = bytes.length === 0 ? 0 : cut % bytes.length;
  switch (framing) {
    case 'honest':
      return { headers: {}, body: bytes, read: bytes };
    case 'short':
      // The server reads `short` bytes; what follows is not a request it may act on.
      return { headers: {}, body: bytes, contentLength: short, read: bytes.subarray(0, short) };
    case 'long':
      return { headers: {}, body: bytes, contentLength: bytes.length + 1 + (cut % 100), read: undefined };
    case 'omit':
      return { headers: {}, body: bytes, contentLength: 'omit', read: undefined };
    case 'garbage':
      return { headers: { 'Content-Length': `${bytes.length}, ${bytes.length + 1}` }, body: bytes, contentLength: 'omit', read: undefined };
    case 'chunked': {
      const chunks = bytes.length === 0 ? [] : [bytes.subarray(0, short), bytes.subarray(short)].filter((chunk) => chunk.length > 0);
      const encoded = Buffer.concat([...chunks.flatMap((chunk) => [Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]), Buffer.from('0\r\n\r\n')]);
      return { headers: { 'Transfer-Encoding': 'chunked' }, body: encoded, contentLength: 'omit', read: bytes };
    }
    case 'broken-chunks':
      return { headers: { 'Transfer-Encoding': 'chunked' }, body: Buffer.concat([Buffer.from('zz\r\n'), bytes]), contentLength: 'omit', read: undefined };
    case 'both':
      return { headers: { 'Transfer-Encoding': 'chunked' }, body: bytes, read: undefined };
  }
}

describe('POST /events through raw sockets to a listening server (properties)', () => {
  const gateways = rotating(true, true);
  afterAll(() => gateways.close());

  it(
    'answers any bytes below 500, or not at all, and stores exactly what it accepts',
    async () => {
      const request = fc.oneof(
        {
          weight: 9,
          arbitrary: fc.record({
            raw: fc.constant(undefined),
            body,
            framing: fc.oneof({ weight: 6, arbitrary: fc.constantFrom<Framing>('honest', 'chunked') }, { weight: 4, arbitrary: fc.constantFrom<Framing>('short', 'long', 'omit', 'garbage', 'broken-chunks', 'both') }),
            cut: fc.nat(),
            method: fc.oneof({ weight: 9, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'GET', 'post', 'P\u00d8ST') }),
            path: fc.oneof({ weight: 9, arbitrary: fc.constantFrom('/events', '/events?a=b', 'http://127.0.0.1/events') }, { weight: 1, arbitrary: fc.constantFrom('*', '/%ZZ', '/events/../events') }),
            contentType: fc.option(contentType, { nil: undefined, freq: 20 }),
            authorization: fc.option(authorization, { nil: undefined, freq: 20 }),
            extra: fc.oneof({ weight: 8, arbitrary: fc.constantFrom<Record<string, string>>({}, { Expect: '100-continue' }) }, { weight: 2, arbitrary: fc.constantFrom<Record<string, string>>({ 'Content-Encoding': 'gzip' }, { 'X-Long': 'x'.repeat(20_000) }, { 'Bad Header': 'x' }, { Host: '' }, { 'Content-Type': 'text/plain' }) }),
          }),
        },
        { weight: 1, arbitrary: fc.record({ raw: fc.uint8Array({ minLength: 1, maxLength: 512 }).map((bytes) => Buffer.from(bytes)) }) },
      );
      const portOf = (gateway: Gateway) => (gateway.app.server.address() as AddressInfo).port;
      await fc.assert(
        fc.asyncProperty(request, async (sent) => {
          const gateway = await gateways.next();
          let bytes: Buffer;
          let read: Buffer | undefined;
          // Node's server ends a connection the client half-closes, answer or not, while the
          // request may still be stored: only a client that cannot finish its body half-closes.
          let ending: RawEnding = 'keep-open';
          if (sent.raw !== undefined) {
            bytes = sent.raw;
            read = undefined;
            ending = 'half-close';
          } else {
            const frame = framed(sent.body, sent.framing, sent.cut);
            const headers: Record<string, string> = { ...sent.extra, ...frame.headers };
            // rawRequest stops sending a body once an answer starts, and `100 Continue` is one:
            // a body it would send in several slices would never end.
            if (frame.body.length > 60_000) delete headers['Expect'];
            if (sent.contentType !== undefined) headers['Content-Type'] = sent.contentType;
            if (sent.authorization !== undefined) headers['Authorization'] = sent.authorization;
            bytes = httpRequest({ method: sent.method, path: sent.path, headers, body: frame.body, ...(frame.contentLength === undefined ? {} : { contentLength: frame.contentLength }) });
            read = frame.read;
            if (sent.framing === 'long') ending = 'half-close';
          }
          const result = await rawRequest(portOf(gateway), bytes, ending, 5000);
          const { status, answer } = finalAnswer(result.text);
          // An answer on a connection left open for a body the client stopped sending is fine.
          expect(result.timedOut && status === undefined, 'the server neither answered nor closed').toBe(false);
          await checkStored(gateway, status, answer, status === 202 ? read : undefined, true);
        }),
        fuzzParameters(0.12),
      );
      // Still serving: a valid envelope is accepted after all that.
      const gateway = await gateways.next();
      const valid = Buffer.from(JSON.stringify({ events: [{ id: `after-${gateway.prefix}`, timestamp: '2026-11-28T02:15:00Z', action: 'push', target: {} }] }));
      const after = await rawRequest(portOf(gateway), httpRequest({ headers: { 'Content-Type': V1, Authorization: `Bearer ${TOKEN}` }, body: valid }), 'keep-open', 5000);
      expect(after.status).toBe(202);
      await checkStored(gateway, 202, finalAnswer(after.text).answer, valid, true);
    },
    fuzzTimeout(0.12, 20),
  );
});
