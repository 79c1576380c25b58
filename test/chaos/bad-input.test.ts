import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { INGRESS_QUEUE } from '@herald/producer';
import type { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { badRequests, prng, V1, type BadRequest, type Generation } from './helpers/bad-requests.js';
import { duplicatesOf, setDifference, sleep, waitUntil } from './helpers/figures-math.js';
import { recordFigures } from './helpers/figures.js';
import { baseUrlOf, heraldEnv, startHerald, stopHerald } from './helpers/herald-run.js';
import { RssSampler } from './helpers/process-memory.js';
import { httpRequest, rawRequest } from './helpers/raw-http.js';
import { scaled } from './helpers/scale.js';
import { typicalEvent } from './helpers/typical-event.js';

/**
 * Malformed requests to a `herald ingest` process over real HTTP (raw sockets, so any
 * byte can be sent): every one must get a 4xx, the process must keep running, nothing
 * malformed may be stored, and the well-formed envelopes sent between them must all be
 * delivered by a `herald worker`. The requests come from a seeded generator: the seed
 * is recorded, and HERALD_CHAOS_SEED=<seed> makes the same requests again.
 */

const BAD = scaled(1000, 300);
/** A well-formed envelope after every this many malformed requests. */
const GOOD_EVERY = 10;
const TOKEN = 'chaos-ingest-token';
/** ingest.maxBodyBytes: the default, set explicitly so the generators know it. */
const MAX_BODY = 1_048_576;
/** Connections that send all but the last byte of a MAX_BODY body, then nothing more. */
const STALLED = scaled(200, 50);
/** How long ingest may hold a request whose body stopped coming: a registry sends a 1 MiB envelope in well under a second. */
const STALL_BOUND_MS = 30_000;
const SEED = Number(process.env['HERALD_CHAOS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

interface Stack {
  readonly prefix: string;
  readonly ingest: HeraldProcess;
  readonly worker: HeraldProcess;
  readonly receiver: WebhookReceiver;
  readonly base: string;
  readonly port: number;
  close(): Promise<{ ingest: unknown; worker: unknown }>;
}

/** An ingest process and a worker process delivering to one receiver, on a prefix of their own. */
async function startStack(): Promise<Stack> {
  const prefix = testPrefix();
  const receiver = await WebhookReceiver.start();
  const ingest = await startHerald('ingest', heraldEnv({ redisUrl: REDIS_URL, prefix, extra: { HERALD_INGEST_TOKEN: TOKEN, HERALD_INGEST_MAX_BODY_BYTES: String(MAX_BODY) } }));
  let worker: HeraldProcess;
  try {
    worker = await startHerald('worker', heraldEnv({ redisUrl: REDIS_URL, prefix, endpoints: [{ name: 'receiver', url: receiver.url, backoff: '200ms' }] }));
  } catch (error) {
    await stopHerald(ingest, 'SIGKILL');
    await receiver.close();
    throw error;
  }
  const base = baseUrlOf(ingest);
  let closed: Promise<{ ingest: unknown; worker: unknown }> | undefined;
  return {
    prefix,
    ingest,
    worker,
    receiver,
    base,
    port: Number(new URL(base).port),
    close: () =>
      (closed ??= (async () => {
        const [ingestExit, workerExit] = await Promise.all([stopHerald(ingest, 'SIGTERM'), stopHerald(worker, 'SIGTERM')]);
        await receiver.close();
        await deleteKeys(REDIS_URL, prefix);
        return { ingest: ingestExit, worker: workerExit };
      })()),
  };
}

/** POSTs a well-formed envelope as a registry does; returns the status. */
async function postGood(stack: Stack, events: Event[]): Promise<number> {
  const response = await fetch(`${stack.base}/events`, {
    method: 'POST',
    headers: { 'content-type': V1, authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ events }),
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  return response.status;
}

function alive(process: HeraldProcess): boolean {
  return process.child.exitCode === null && process.child.signalCode === null;
}

/** The ingest counters of /metrics: requests by status, and events accepted. */
async function ingestMetrics(base: string): Promise<{ requests: Record<string, number>; events: number }> {
  const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const requests: Record<string, number> = {};
  let events = 0;
  for (const line of text.split('\n')) {
    const request = /^herald_ingest_requests_total\{code="(\d+)"\} (\d+)/.exec(line);
    if (request !== null) requests[request[1]!] = Number(request[2]);
    const accepted = /^herald_ingest_events_total (\d+)/.exec(line);
    if (accepted !== null) events = Number(accepted[1]);
  }
  return { requests, events };
}

interface Outcome {
  readonly request: BadRequest;
  readonly status: number | undefined;
  readonly body: string;
  readonly timedOut: boolean;
  readonly error: string | undefined;
}

describe('bad input to herald ingest', () => {
  it(`answers ${BAD} malformed requests with a 4xx, stores none, stays up, and delivers the well-formed envelopes between them`, async () => {
    const started = Date.now();
    const stack = await startStack();
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    const generation: Generation = { token: TOKEN, maxBodyBytes: MAX_BODY, random: prng(SEED), id: () => `bad-${run}-${(counter += 1)}` };
    const requests = badRequests(generation, BAD);
    const outcomes: Outcome[] = [];
    const goodIds: string[] = [];
    const goodStatuses: number[] = [];
    const healthChecks: number[] = [];
    const pid = stack.ingest.child.pid;
    let exits: unknown;
    try {
      for (const [index, request] of requests.entries()) {
        const answer = await rawRequest(stack.port, request.bytes, request.ending, 15_000);
        outcomes.push({ request, status: answer.status, body: answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4, 2000), timedOut: answer.timedOut, error: answer.error });
        if ((index + 1) % GOOD_EVERY === 0) {
          const events = Array.from({ length: 1 + (index % 3) }, (_, n) => typicalEvent(`good-${run}-${index}-${n}`, n));
          goodStatuses.push(await postGood(stack, events));
          goodIds.push(...events.map((event) => event.id));
        }
        if ((index + 1) % 50 === 0) {
          healthChecks.push((await fetch(`${stack.base}/healthz`, { signal: AbortSignal.timeout(10_000) })).status);
          if (!alive(stack.ingest)) break;
        }
      }
      const health = (await fetch(`${stack.base}/healthz`, { signal: AbortSignal.timeout(10_000) })).status;
      const stillAlive = alive(stack.ingest) && stack.ingest.child.pid === pid;

      // Every well-formed envelope is delivered; then nothing else arrives.
      await waitUntil(() => goodIds.every((id) => stack.receiver.delivered.includes(id)), 60_000, 'every well-formed event delivered');
      await sleep(1500);
      const metrics = await ingestMetrics(stack.base);
      const ingress = new Queue(INGRESS_QUEUE, { connection: { url: REDIS_URL }, prefix: stack.prefix });
      const ingressLeft = await ingress.getJobCounts('waiting', 'delayed', 'active', 'failed');
      await ingress.close();
      const badIds = new Set(requests.flatMap((request) => request.eventIds));
      const storedBad = stack.receiver.delivered.filter((id) => badIds.has(id));

      // Figures: status histogram, per category, and the first failures to reproduce.
      const histogram: Record<string, number> = {};
      const byCategory: Record<string, { requests: number; statuses: Record<string, number> }> = {};
      for (const outcome of outcomes) {
        const key = outcome.status === undefined ? (outcome.request.expect === 'none' ? 'client closed first' : outcome.timedOut ? 'no answer (timeout)' : `no answer (${outcome.error ?? 'closed'})`) : String(outcome.status);
        histogram[key] = (histogram[key] ?? 0) + 1;
        const category = (byCategory[outcome.request.category] ??= { requests: 0, statuses: {} });
        category.requests += 1;
        category.statuses[key] = (category.statuses[key] ?? 0) + 1;
      }
      const not4xx = outcomes.filter((o) => o.request.expect === 'answer' && (o.status === undefined || o.status < 400 || o.status > 499));
      const wrongStatus = outcomes.filter((o) => o.request.status !== undefined && o.status !== undefined && o.status !== o.request.status);
      const unnamedField = outcomes.filter((o) => {
        if (o.request.problemPath === undefined || o.status !== 400) return false;
        try {
          return !(JSON.parse(o.body) as { problems?: { path: string }[] }).problems?.some((p) => p.path === o.request.problemPath);
        } catch {
          return true;
        }
      });
      const example = (o: Outcome) => ({ category: o.request.category, name: o.request.name, status: o.status ?? null, error: o.error ?? null, answer: o.body.slice(0, 160) });
      recordFigures('bad-input', {
        seed: SEED,
        malformed: outcomes.length,
        wellFormed: goodStatuses.length,
        wellFormedEvents: goodIds.length,
        statusHistogram: histogram,
        categories: byCategory,
        not4xx: not4xx.length,
        not4xxExamples: not4xx.slice(0, 5).map(example),
        statusOtherThanDocumented: wrongStatus.length,
        statusOtherThanDocumentedExamples: wrongStatus.slice(0, 5).map(example),
        fieldNotNamed: unnamedField.length,
        fieldNotNamedExamples: unnamedField.slice(0, 3).map(example),
        wellFormedStatuses: [...new Set(goodStatuses)],
        ingestAlive: stillAlive,
        healthChecks: healthChecks.length + 1,
        healthFailures: [...healthChecks, health].filter((status) => status !== 200).length,
        metrics202: metrics.requests['202'] ?? 0,
        metricsEventsAccepted: metrics.events,
        malformedStored: storedBad.length,
        delivered: new Set(stack.receiver.delivered).size,
        duplicates: duplicatesOf(stack.receiver.delivered),
        seconds: Math.round((Date.now() - started) / 1000),
      });

      // The process never crashed and always answered.
      expect(stillAlive).toBe(true);
      expect([...healthChecks, health].every((status) => status === 200)).toBe(true);
      // Nothing malformed stored: exactly the well-formed events were accepted and delivered.
      expect(goodStatuses.every((status) => status === 202)).toBe(true);
      expect(storedBad).toStrictEqual([]);
      expect(setDifference(goodIds, stack.receiver.delivered)).toMatchObject({ missingCount: 0, unexpectedCount: 0 });
      expect(metrics.requests['202'] ?? 0).toBe(goodStatuses.length);
      expect(metrics.events).toBe(goodIds.length);
      expect(ingressLeft).toMatchObject({ waiting: 0, delayed: 0, active: 0, failed: 0 });
      // Every malformed request answered with a 4xx (soft, so that every other check still runs).
      expect.soft(not4xx.map(example)).toStrictEqual([]);
      // The documented status (400, 401, 413, 415) where there is one, and a 400 names the field.
      expect.soft(wrongStatus.map(example)).toStrictEqual([]);
      expect.soft(unnamedField.map(example)).toStrictEqual([]);
    } finally {
      exits = await stack.close();
    }
    // Both processes stop cleanly on SIGTERM.
    expect(exits).toMatchObject({ ingest: { code: 0, killed: false }, worker: { code: 0, killed: false } });
  });

  it('answers 202 to well-formed envelopes that arrive together with one nested too deep to store, and a 4xx to that one', async () => {
    const stack = await startStack();
    const run = randomUUID().slice(0, 8);
    const rounds = scaled(12, 6);
    try {
      const request = (body: string) => httpRequest({ headers: { 'Content-Type': V1, Authorization: `Bearer ${TOKEN}` }, body });
      const good: string[] = [];
      const accepted: string[] = [];
      const deepIds: string[] = [];
      const histogram: Record<string, number> = {};
      const deepStatuses: (number | null)[] = [];
      let deepAnswer = '';
      // Rounds of 30 envelopes POSTed at once, as busy registries do, with the deep one in the
      // middle: the producer batches writes that arrive while a batch is in flight.
      for (let round = 0; round < rounds; round += 1) {
        const events = Array.from({ length: 30 }, (_, n) => typicalEvent(`together-${run}-${round}-${n}`, n));
        const deep = typicalEvent(`deep-${run}-${round}`, 0);
        const deepBody = JSON.stringify({ events: [{ ...deep, extra: '__DEEP__' }] }).replace('"__DEEP__"', `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
        // The deep one goes at a different place in each round: it poisons a batch only when it
        // reaches the producer while an earlier batch is in flight and others queue behind it.
        const at = [30, 20, 10, 25, 5, 15][round % 6]!;
        const answers = await Promise.all([
          ...events.slice(0, at).map((event) => rawRequest(stack.port, request(JSON.stringify({ events: [event] })), 'keep-open', 15_000)),
          rawRequest(stack.port, request(deepBody), 'keep-open', 15_000),
          ...events.slice(at).map((event) => rawRequest(stack.port, request(JSON.stringify({ events: [event] })), 'keep-open', 15_000)),
        ]);
        const deepOne = answers.splice(at, 1)[0]!;
        deepStatuses.push(deepOne.status ?? null);
        deepAnswer = deepOne.text.slice(deepOne.text.indexOf('\r\n\r\n') + 4, 200);
        deepIds.push(deep.id);
        answers.forEach((answer, n) => {
          const key = String(answer.status ?? 'no answer');
          histogram[key] = (histogram[key] ?? 0) + 1;
          good.push(events[n]!.id);
          if (answer.status === 202) accepted.push(events[n]!.id);
        });
      }
      await waitUntil(() => accepted.every((id) => stack.receiver.delivered.includes(id)), 30_000, 'accepted events delivered');
      await sleep(1000);
      recordFigures('bad-input/deep-envelope-among-good-ones', {
        rounds,
        wellFormed: good.length,
        wellFormedStatuses: histogram,
        deepEnvelopeStatuses: deepStatuses,
        deepEnvelopeAnswer: deepAnswer,
        delivered: new Set(stack.receiver.delivered).size,
      });
      // Nothing unstorable stored, what was accepted delivered, and the process still up.
      expect(stack.receiver.delivered.filter((id) => deepIds.includes(id))).toStrictEqual([]);
      expect(setDifference(accepted, stack.receiver.delivered)).toMatchObject({ missingCount: 0, unexpectedCount: 0 });
      expect(alive(stack.ingest)).toBe(true);
      // One client's bad envelope must not fail the others', and gets a 4xx itself (soft: both are reported).
      expect.soft(histogram, 'statuses of the well-formed envelopes').toStrictEqual({ 202: good.length });
      expect.soft(deepStatuses.filter((status) => status === null || status < 400 || status > 499), `statuses of the deep envelope: ${deepAnswer}`).toStrictEqual([]);
    } finally {
      await stack.close();
    }
  });

  it(`drops ${STALLED} requests whose body stops coming within ${STALL_BOUND_MS / 1000}s, instead of holding their bytes`, async () => {
    const stack = await startStack();
    const sockets: Socket[] = [];
    const answers: string[] = [];
    let closedByServer = 0;
    const rss = new RssSampler(stack.ingest.child.pid!, 250);
    try {
      // Each sends a complete head and all but the last byte of the body it announces, then waits.
      const head = httpRequest({ headers: { 'Content-Type': V1, Authorization: `Bearer ${TOKEN}` }, contentLength: MAX_BODY });
      const body = Buffer.alloc(MAX_BODY - 1, 'a');
      for (let n = 0; n < STALLED; n += 1) {
        const socket = connect({ port: stack.port, host: '127.0.0.1' });
        socket.on('error', () => {});
        socket.on('data', (chunk: Buffer) => answers.push(chunk.toString('latin1').split('\r\n', 1)[0]!));
        socket.on('close', () => {
          closedByServer += 1;
        });
        socket.write(Buffer.concat([head, body]));
        sockets.push(socket);
      }
      const started = Date.now();
      await waitUntil(() => closedByServer >= STALLED, STALL_BOUND_MS, 'stalled requests dropped').catch(() => {});
      const heldMs = Date.now() - started;
      const closedInTime = closedByServer;
      const health = (await fetch(`${stack.base}/healthz`, { signal: AbortSignal.timeout(10_000) })).status;
      const memory = rss.stop();
      recordFigures('bad-input/stalled-bodies', {
        connections: STALLED,
        bytesSentEach: MAX_BODY - 1,
        closedByIngestWithinBound: closedInTime,
        boundSeconds: STALL_BOUND_MS / 1000,
        waitedSeconds: Math.round(heldMs / 1000),
        answers: [...new Set(answers)],
        ingestRssGrowthMiB: Math.round((memory.maxMiB - memory.firstMiB) * 10) / 10,
        ingestRssMiB: memory,
      });
      expect(alive(stack.ingest)).toBe(true);
      expect(health).toBe(200);
      // Every stalled request dropped (408 or closed) within the bound, its bytes freed.
      expect.soft(closedInTime, `stalled requests dropped by ingest within ${STALL_BOUND_MS / 1000}s; ingest RSS grew ${Math.round(memory.maxMiB - memory.firstMiB)} MiB meanwhile`).toBe(STALLED);
    } finally {
      rss.stop();
      for (const socket of sockets) socket.destroy();
      await stack.close();
    }
  });
});
