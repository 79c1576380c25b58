import { describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '@herald/producer';
import type { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver, type Delivery } from '../helpers/webhook-receiver.js';
import { chaosEvents, envelopesOf } from './helpers/chaos-events.js';
import { auditEndpoint, hasAll, leftoversOnceSettled } from './helpers/delivery-audit.js';
import { recordFigures } from './helpers/figures.js';
import { heraldEnv, logLines, startHerald } from './helpers/herald-run.js';
import { scaled } from './helpers/scale.js';
import { SeededRandom } from './helpers/seeded-random.js';
import { Teardown } from './helpers/teardown.js';
import { sleep, waitUntil } from './helpers/wait-until.js';

/**
 * Batched delivery (`maxbatch`) under the faults that matter to it: a worker SIGKILLed
 * while batches are in flight, a poison event inside batches, an endpoint that answers
 * 503 and then comes back. Each must lose nothing; a kill may send again at most what
 * the killed worker had in flight.
 */

/** A killed worker's deliveries run again after about this long. */
const LOCK_MS = 2000;
const DRAIN_BOUND_MS = scaled(180_000, 90_000);

/** Event ids in order of first 2xx arrival. */
function firstArrivals(receiver: WebhookReceiver): string[] {
  return [...new Set(receiver.delivered)];
}

/** Events per request, where every request is answered 2xx: the batching factor the receiver saw. */
function eventsPerRequest(receiver: WebhookReceiver): number {
  return receiver.delivered.length / Math.max(1, receiver.deliveries.length);
}

/** One scenario's Herald: a prefix, receivers, a producer, worker processes; all torn down. */
async function scenario<T>(name: string, run: (s: { prefix: string; teardown: Teardown; producer: Producer; random: SeededRandom }) => Promise<T>): Promise<T> {
  const random = SeededRandom.fromEnv();
  const prefix = testPrefix();
  const teardown = new Teardown();
  teardown.add('redis keys', () => deleteKeys(REDIS_URL, prefix));
  const producer = createProducer({ redis: REDIS_URL, prefix });
  teardown.add('producer', () => producer.close());
  try {
    return await run({ prefix, teardown, producer, random });
  } finally {
    const errors = await teardown.run();
    expect(errors, `${name} teardown`).toStrictEqual([]);
  }
}

async function receiver(teardown: Teardown): Promise<WebhookReceiver> {
  const started = await WebhookReceiver.start();
  teardown.add('receiver', () => started.close());
  return started;
}

async function worker(teardown: Teardown, prefix: string, endpoints: Record<string, unknown>[], concurrency: number, name = 'worker'): Promise<HeraldProcess> {
  const env = heraldEnv({
    redisUrl: REDIS_URL,
    prefix,
    endpoints,
    extra: { HERALD_WORKER_CONCURRENCY: String(concurrency), HERALD_WORKER_LOCK_DURATION_MS: String(LOCK_MS) },
  });
  const process = await startHerald('worker', env);
  teardown.addProcess(name, () => process);
  return process;
}

describe('batched delivery under faults', () => {
  it('loses nothing when a worker is SIGKILLed with batches in flight, sends again at most what it held, and keeps an ordered endpoint in order', async () => {
    const EVENTS = scaled(6000, 2000);
    const KILLS = scaled(4, 2);
    const CONCURRENCY = 2;
    const MAXBATCH = 32;
    /** Writing lasts this long, in bursts each second, so that every kill falls while batches go out. */
    const PLANNED_WRITE_MS = scaled(20_000, 10_000);
    await scenario('batch-worker-crash', async ({ prefix, teardown, producer, random }) => {
      const shared = await receiver(teardown);
      const ordered = await receiver(teardown);
      // Slow enough answers that every kill finds batches in flight.
      for (const r of [shared, ordered]) r.reply = () => ({ status: 200, delayMs: 100 + Math.floor(Math.random() * 200) });
      const endpoints = [
        { name: 'batched', url: shared.url, timeout: '1s', backoff: '100ms', maxbatch: MAXBATCH },
        { name: 'ordered', url: ordered.url, timeout: '1s', backoff: '100ms', maxbatch: 8, ordered: true },
      ];
      await worker(teardown, prefix, endpoints, CONCURRENCY, 'steady worker');
      let victim = await worker(teardown, prefix, endpoints, CONCURRENCY, 'victim worker');
      await producer.ready();
      const events = chaosEvents(`batch-crash-${random.seed}`, EVENTS, random);
      const envelopes = envelopesOf(events, random, 5);
      const expected = new Set(events.map((event) => event.id));
      const started = Date.now();
      // One writer, in order (acceptance order is the write order, which the ordered endpoint
      // must keep), a burst each second: each burst is a backlog that goes out in batches.
      const bursts = Math.ceil(PLANNED_WRITE_MS / 1000);
      const perBurst = Math.ceil(envelopes.length / bursts);
      const writing = (async () => {
        for (let burst = 0; burst < bursts; burst += 1) {
          const due = started + burst * 1000;
          if (due > Date.now()) await sleep(due - Date.now());
          for (const envelope of envelopes.slice(burst * perBurst, (burst + 1) * perBurst)) await producer.write(...envelope);
        }
        return Date.now();
      })();
      const kills: { atMs: number; batchedInFlight: number; orderedInFlight: number; largestBatchInFlight: number }[] = [];
      const inFlight = new Map<Delivery, number>();
      for (const r of [shared, ordered]) {
        const reply = r.reply;
        r.reply = (delivery, attempt) => {
          inFlight.set(delivery, delivery.eventIds.length);
          const answer = reply(delivery, attempt);
          const delay = answer === 'hang' ? 0 : (answer.delayMs ?? 0);
          setTimeout(() => inFlight.delete(delivery), delay);
          return answer;
        };
      }
      for (let kill = 0; kill < KILLS; kill += 1) {
        // Kills spread over the writing, each at a random point of its share.
        const due = started + ((kill + 0.25 + 0.5 * random.next()) * PLANNED_WRITE_MS) / KILLS;
        if (due > Date.now()) await sleep(due - Date.now());
        // Kill with batches of several events in flight.
        await waitUntil(() => [...inFlight.values()].some((size) => size > 1) && shared.inFlight > 0, 10_000, 5);
        const moment = { atMs: Date.now() - started, batchedInFlight: shared.inFlight, orderedInFlight: ordered.inFlight, largestBatchInFlight: Math.max(...inFlight.values()) };
        await victim.stop('SIGKILL');
        kills.push(moment);
        victim = await worker(teardown, prefix, endpoints, CONCURRENCY, `victim worker ${kill + 2}`);
      }
      const lastWrite = await writing;
      const drained = await waitUntil(() => hasAll(shared, expected) && hasAll(ordered, expected), DRAIN_BOUND_MS, 100);
      const leftovers = await leftoversOnceSettled(REDIS_URL, prefix, ['batched', 'ordered'], drained ? 60_000 : 1000);
      const audits = [auditEndpoint('batched', shared, expected), auditEndpoint('ordered', ordered, expected)];
      const inOrder = firstArrivals(ordered).every((id, n) => id === events[n]!.id);
      // What a killed worker can send again: on the shared endpoint, each processor's batch
      // and the head it holds across rounds; on the ordered one, its one batch. Deliveries
      // (envelopes), not events: an envelope goes again whole.
      const duplicateBound = KILLS * (CONCURRENCY * (MAXBATCH + 1) + 8);
      const duplicatedDeliveries = [shared, ordered].map((r) => {
        const seen = new Map<string, number>();
        for (const id of r.delivered) seen.set(id, (seen.get(id) ?? 0) + 1);
        return envelopes.filter((envelope) => envelope.some((event) => (seen.get(event.id) ?? 0) > 1)).length;
      });
      recordFigures('batch-worker-crash', {
        seed: random.seed,
        events: EVENTS,
        kills: kills.length,
        killMoments: kills,
        lost: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.lost])),
        duplicateEvents: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.duplicates])),
        duplicateDeliveries: { batched: duplicatedDeliveries[0], ordered: duplicatedDeliveries[1] },
        duplicateDeliveriesBound: duplicateBound,
        requests: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.requests])),
        eventsPerRequest: { batched: eventsPerRequest(shared), ordered: eventsPerRequest(ordered) },
        orderedFirstArrivalsInAcceptanceOrder: inOrder,
        orderedMaxInFlight: ordered.maxInFlight,
        leftoverPending: leftovers.pending,
        leftoverFailed: leftovers.failed,
        lastWriteToQueuesEmptyMs: Date.now() - lastWrite,
      });
      for (const audit of audits) expect(audit, audit.endpoint).toMatchObject({ lost: 0, unexpected: 0 });
      expect(duplicatedDeliveries[0]! + duplicatedDeliveries[1]!).toBeLessThanOrEqual(duplicateBound);
      expect(kills).toHaveLength(KILLS);
      expect(kills.every((kill) => kill.largestBatchInFlight > 1)).toBe(true);
      expect(inOrder).toBe(true);
      expect(ordered.maxInFlight).toBe(1);
      expect(eventsPerRequest(shared)).toBeGreaterThan(2);
      expect(leftovers).toMatchObject({ pending: 0, failed: 0 });
    });
  }, 15 * 60_000);

  it('delivers everything around poison events inside batches, and leaves only the poisoned deliveries in the failed set', async () => {
    const EVENTS = scaled(4000, 1500);
    await scenario('batch-poison', async ({ prefix, teardown, producer, random }) => {
      const hook = await receiver(teardown);
      const events = chaosEvents(`batch-poison-${random.seed}`, EVENTS, random);
      const poison = new Set(events.filter(() => random.next() < 0.01).map((event) => event.id));
      if (poison.size === 0) poison.add(events[EVENTS >> 1]!.id);
      hook.reply = (delivery) => (delivery.eventIds.some((id) => poison.has(id)) ? { status: 422 } : { status: 200, delayMs: 5 });
      // maxage short enough that a poison event's retries end in the failed set within the test.
      const endpoints = [{ name: 'picky', url: hook.url, timeout: '1s', backoff: '200ms', maxage: '4s', maxbatch: 32 }];
      const herald = await worker(teardown, prefix, endpoints, 4);
      await producer.ready();
      // A delivery is an envelope's events: a poison event fails its whole envelope, never more.
      const envelopes = envelopesOf(events, random, 5);
      const poisoned = envelopes.filter((envelope) => envelope.some((event) => poison.has(event.id)));
      for (const envelope of envelopes) await producer.write(...envelope);
      const wanted = new Set(envelopes.filter((envelope) => !poisoned.includes(envelope)).flatMap((envelope) => envelope.map((event) => event.id)));
      await waitUntil(() => hasAll(hook, wanted), DRAIN_BOUND_MS, 100);
      const leftovers = await leftoversOnceSettled(REDIS_URL, prefix, ['picky'], 60_000);
      const audit = auditEndpoint('picky', hook, wanted);
      const aloneAtLast = poisoned.every((envelope) => {
        const last = hook.deliveries.filter((d) => d.eventIds.includes(envelope[0]!.id)).at(-1);
        return last !== undefined && last.eventIds.join() === envelope.map((event) => event.id).join();
      });
      const splits = logLines(herald).filter((line) => line['msg'] === 'endpoint refused a batch with a 4xx; sending each half on its own').length;
      recordFigures('batch-poison', {
        seed: random.seed,
        events: EVENTS,
        poison: poison.size,
        poisonedDeliveries: poisoned.length,
        innocentEventsInPoisonedDeliveries: poisoned.flat().length - poison.size,
        lost: audit.lost,
        unexpected: audit.unexpected,
        duplicates: audit.duplicates,
        requests: audit.requests,
        splits,
        poisonAloneInItsLastRequest: aloneAtLast,
        leftoverPending: leftovers.pending,
        leftoverFailed: leftovers.failed,
      });
      expect(audit).toMatchObject({ lost: 0, unexpected: 0, duplicates: 0 });
      expect(aloneAtLast).toBe(true);
      expect(splits).toBeGreaterThan(0);
      expect(leftovers).toMatchObject({ pending: 0, failed: poisoned.length });
    });
  }, 15 * 60_000);

  it('retries whole batches while the endpoint answers 503, no sooner than Retry-After, then drains the backlog in batches', async () => {
    const OUTAGE_MS = scaled(8000, 4000);
    const EVENTS = scaled(3000, 1000);
    await scenario('batch-503', async ({ prefix, teardown, producer, random }) => {
      const hook = await receiver(teardown);
      let outageEnds = Number.POSITIVE_INFINITY;
      hook.reply = () => (Date.now() < outageEnds ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200, delayMs: 5 });
      const endpoints = [{ name: 'flaky', url: hook.url, timeout: '1s', backoff: '100ms', maxbatch: 32 }];
      await worker(teardown, prefix, endpoints, 4);
      await producer.ready();
      const events = chaosEvents(`batch-503-${random.seed}`, EVENTS, random);
      const expected = new Set(events.map((event) => event.id));
      const envelopes = envelopesOf(events, random, 3);
      outageEnds = Date.now() + OUTAGE_MS;
      // Writes spread over the outage and a little after it.
      const pace = (OUTAGE_MS * 1.25) / envelopes.length;
      const started = Date.now();
      for (const [n, envelope] of envelopes.entries()) {
        const due = started + n * pace;
        if (due > Date.now()) await sleep(due - Date.now());
        await producer.write(...envelope);
      }
      await waitUntil(() => hasAll(hook, expected), DRAIN_BOUND_MS, 100);
      const leftovers = await leftoversOnceSettled(REDIS_URL, prefix, ['flaky'], 60_000);
      const audit = auditEndpoint('flaky', hook, expected);
      // Every retry of an event came at least Retry-After (1 s) after its previous attempt.
      const lastAttempt = new Map<string, number>();
      let soonest = Number.POSITIVE_INFINITY;
      for (const delivery of hook.deliveries) {
        for (const id of delivery.eventIds) {
          const before = lastAttempt.get(id);
          if (before !== undefined) soonest = Math.min(soonest, delivery.receivedAt - before);
          lastAttempt.set(id, delivery.receivedAt);
        }
      }
      const refused = hook.deliveries.filter((d) => d.receivedAt < outageEnds);
      const afterOutage = hook.deliveries.filter((d) => d.receivedAt >= outageEnds);
      const perRequestAfter = afterOutage.reduce((sum, d) => sum + d.eventIds.length, 0) / Math.max(1, afterOutage.length);
      recordFigures('batch-503', {
        seed: random.seed,
        events: EVENTS,
        outageMs: OUTAGE_MS,
        lost: audit.lost,
        unexpected: audit.unexpected,
        duplicates: audit.duplicates,
        refusedRequests: refused.length,
        requestsAfterOutage: afterOutage.length,
        eventsPerRequestAfterOutage: perRequestAfter,
        soonestRetryMs: soonest,
        leftoverPending: leftovers.pending,
        leftoverFailed: leftovers.failed,
      });
      expect(audit).toMatchObject({ lost: 0, unexpected: 0, duplicates: 0 });
      expect(refused.length).toBeGreaterThan(0);
      expect(soonest).toBeGreaterThanOrEqual(1000 - 50);
      expect(perRequestAfter).toBeGreaterThan(4);
      expect(leftovers).toMatchObject({ pending: 0, failed: 0 });
    });
  }, 15 * 60_000);
});
