import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, INGRESS_QUEUE } from '@herald/producer';
import { deleteKeys, testPrefix } from '../helpers/redis-keys.js';
import { RedisServer } from '../helpers/redis-server.js';
import { FaultEndpoint } from './helpers/fault-endpoint.js';
import { duplicatesOf, setDifference, sleep, waitUntil } from './helpers/figures-math.js';
import { recordFigures } from './helpers/figures.js';
import { heraldEnv, logLines, startHerald, stopHerald } from './helpers/herald-run.js';
import { closedPortBelowEphemeralRange } from './helpers/ports.js';
import { RssSampler } from './helpers/process-memory.js';
import { scaled } from './helpers/scale.js';
import { typicalEvent, typicalEventBytes } from './helpers/typical-event.js';

/**
 * One endpoint is down (its port refuses connections) while PENDING events, one per
 * envelope, queue for it beside a healthy endpoint that gets them all at once. We
 * measure what each pending delivery costs in Redis, right away and after the outage
 * went on for a while (every delivery keeps being retried, each at most every second,
 * as fast as the worker manages), then
 * bring the endpoint back and measure how fast the backlog drains: every id must arrive.
 *
 * The Redis is a private redis-server without persistence, so that INFO memory counts
 * only this test's keys.
 */

const PENDING = scaled(100_000, 10_000);
/** Concurrent producer writes while enqueueing (the producer batches them). */
const WRITERS = 64;
/** How long the outage goes on once every delivery is pending, to see what retries cost in Redis. */
const HOLD_MS = scaled(60_000, 20_000);
/** Job hashes sampled for their size and attempt count. */
const SAMPLE = 200;
const ENDPOINT = 'down';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.destroy();
});

async function usedMemory(admin: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))![1]);
}

/**
 * The down endpoint's next SAMPLE deliveries to be tried: the oldest end of its wait list
 * (BullMQ takes jobs from the right). Sampled now and again after the hold, the same jobs
 * show what their attempts during the hold cost.
 */
async function nextJobs(admin: Redis, prefix: string): Promise<string[]> {
  return admin.lrange(`${prefix}:endpoint.${ENDPOINT}:wait`, -SAMPLE, -1);
}

/** Size (MEMORY USAGE) and attempts of these job hashes of the down endpoint. */
async function sampleJobs(admin: Redis, prefix: string, ids: readonly string[]): Promise<{ jobs: number; avgBytes: number; avgAttempts: number; avgStacktraceEntries: number; avgStacktraceBytes: number }> {
  const queueKey = `${prefix}:endpoint.${ENDPOINT}`;
  let bytes = 0;
  let attempts = 0;
  let entries = 0;
  let stackBytes = 0;
  for (const id of ids) {
    const key = `${queueKey}:${id}`;
    bytes += Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    const [atm, stacktrace] = await admin.hmget(key, 'atm', 'stacktrace');
    attempts += Number(atm ?? 0);
    stackBytes += Buffer.byteLength(stacktrace ?? '');
    entries += stacktrace ? (JSON.parse(stacktrace) as unknown[]).length : 0;
  }
  const n = Math.max(1, ids.length);
  return { jobs: ids.length, avgBytes: Math.round(bytes / n), avgAttempts: Math.round((attempts / n) * 10) / 10, avgStacktraceEntries: Math.round((entries / n) * 10) / 10, avgStacktraceBytes: Math.round(stackBytes / n) };
}

async function pendingOf(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'paused', 'waiting-children');
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

describe('long outage of one endpoint', () => {
  it(`keeps ${PENDING} deliveries for a dead endpoint in bounded Redis memory, then drains every one when it returns`, async () => {
    const started = Date.now();
    const prefix = testPrefix();
    const run = randomUUID().slice(0, 8);
    const healthy = await FaultEndpoint.start();
    const down = await FaultEndpoint.start(await closedPortBelowEphemeralRange());
    await down.unlisten();
    const endpoints = [
      { name: 'healthy', url: healthy.url, backoff: '1s' },
      // A small maxbackoff, so the drain starts within a second of the endpoint's return; a maxage far beyond the test.
      { name: ENDPOINT, url: down.url, timeout: '2s', backoff: '1s', maxbackoff: '1s', maxage: '24h' },
    ];
    const admin = new Redis(redis.url);
    const downQueue = new Queue(`endpoint.${ENDPOINT}`, { connection: { url: redis.url }, prefix });
    const ingress = new Queue(INGRESS_QUEUE, { connection: { url: redis.url }, prefix });
    const worker = await startHerald('worker', heraldEnv({ redisUrl: redis.url, prefix, endpoints }));
    const rss = new RssSampler(worker.child.pid!, 500);
    const producer = createProducer({ redis: redis.url, prefix });
    try {
      await producer.ready();
      const usedBefore = await usedMemory(admin);

      // Enqueue: WRITERS concurrent writes, one event per envelope.
      const ids = Array.from({ length: PENDING }, (_, n) => `outage-${run}-${n}`);
      const enqueueStarted = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: WRITERS }, async () => {
          while (next < ids.length) {
            const n = next++;
            await producer.write(typicalEvent(ids[n]!, n));
          }
        }),
      );
      const enqueueMs = Date.now() - enqueueStarted;

      // Every event reaches the healthy endpoint while the other is down, and all of them wait for it.
      await healthy.until(() => healthy.deliveredIds.size >= PENDING, scaled(900_000, 180_000), 'healthy endpoint received every event during the outage');
      const healthyDoneMs = Date.now() - enqueueStarted;
      await waitUntil(async () => (await pendingOf(downQueue)) >= PENDING && (await pendingOf(ingress)) === 0, 120_000, `${PENDING} deliveries pending for the down endpoint`, 250);

      const pendingAt = Date.now();
      const usedPending = await usedMemory(admin);
      const sampled = await nextJobs(admin, prefix);
      const jobsPending = await sampleJobs(admin, prefix, sampled);
      // The outage goes on; the worker keeps trying the endpoint every second or so.
      await sleep(HOLD_MS);
      const usedLater = await usedMemory(admin);
      const jobsLater = await sampleJobs(admin, prefix, sampled);
      const heldMs = Date.now() - pendingAt;
      const outageMs = Date.now() - enqueueStarted;
      const failedAttempts = logLines(worker).filter((line) => line['msg'] === 'delivery failed, retrying' && line['endpoint'] === ENDPOINT).length;

      // The endpoint comes back.
      const healedAt = Date.now();
      down.heal();
      await down.listen();
      await down.until(() => down.deliveredIds.size >= PENDING, scaled(900_000, 240_000), 'every pending event delivered after the endpoint returned');
      const drainMs = Date.now() - healedAt;
      await sleep(1000);
      const usedAfterDrain = await usedMemory(admin);
      const remaining = await downQueue.getJobCounts('waiting', 'delayed', 'active', 'failed');

      const exit = await stopHerald(worker, 'SIGTERM', 60_000);
      const rssFigures = rss.stop();
      const perPending = (used: number) => Math.round((used - usedBefore) / PENDING);
      const bytesPerAttempt = jobsLater.avgAttempts > jobsPending.avgAttempts ? Math.round((jobsLater.avgBytes - jobsPending.avgBytes) / (jobsLater.avgAttempts - jobsPending.avgAttempts)) : 0;
      const figures = {
        pending: PENDING,
        eventJsonBytes: typicalEventBytes(),
        eventsPerEnvelope: 1,
        enqueueSeconds: Math.round(enqueueMs / 100) / 10,
        enqueueRatePerSecond: Math.round(PENDING / (enqueueMs / 1000)),
        healthyReceivedAllAfterSeconds: Math.round(healthyDoneMs / 100) / 10,
        usedMemoryBeforeMiB: Math.round(usedBefore / 1024 / 102.4) / 10,
        usedMemoryPendingMiB: Math.round(usedPending / 1024 / 102.4) / 10,
        redisBytesPerPendingDelivery: perPending(usedPending),
        redisBytesPerPendingDeliveryAfterHold: perPending(usedLater),
        holdSeconds: Math.round(heldMs / 1000),
        jobHashPending: jobsPending,
        jobHashAfterHold: jobsLater,
        jobHashBytesPerFailedAttempt: bytesPerAttempt,
        failedAttemptsLogged: failedAttempts,
        outageSeconds: Math.round(outageMs / 1000),
        drainSeconds: Math.round(drainMs / 100) / 10,
        drainRatePerSecond: Math.round(PENDING / (drainMs / 1000)),
        firstDeliveryAfterReturnMs: down.firstDeliveryAfterHeal === undefined ? null : down.firstDeliveryAfterHeal - healedAt,
        redisBytesPerEventAfterDrain: perPending(usedAfterDrain),
        duplicates: { healthy: duplicatesOf(healthy.delivered), down: duplicatesOf(down.delivered) },
        lost: setDifference(ids, down.deliveredIds).missingCount + setDifference(ids, healthy.deliveredIds).missingCount,
        workerConcurrency: 10,
        workerRssMiB: rssFigures,
        totalSeconds: Math.round((Date.now() - started) / 1000),
      };
      recordFigures('long-outage', figures);

      // Exact outcomes.
      expect(setDifference(ids, healthy.deliveredIds)).toMatchObject({ missingCount: 0, unexpectedCount: 0 });
      expect(setDifference(ids, down.deliveredIds)).toMatchObject({ missingCount: 0, unexpectedCount: 0 });
      expect(remaining).toMatchObject({ waiting: 0, delayed: 0, active: 0, failed: 0 });
      expect(exit).toMatchObject({ code: 0, signal: null, killed: false });
      // The drain starts promptly: within maxbackoff (1s, +10% jitter) and generous slack for a busy machine.
      expect(figures.firstDeliveryAfterReturnMs).not.toBeNull();
      expect(figures.firstDeliveryAfterReturnMs!).toBeLessThan(10_000);
      // Bounded memory: what a pending delivery costs in Redis must not grow with the
      // length of the outage (the number of failed attempts), or a long outage of one
      // endpoint fills Redis and stops every producer (maxmemory-policy noeviction).
      expect(jobsLater.avgAttempts, 'the hold made more failed attempts').toBeGreaterThan(jobsPending.avgAttempts);
      // Failed attempts must not accumulate in the job: no stack trace is kept per attempt.
      // (bytesPerAttempt is recorded, not asserted: the same jobs are sampled before and after
      // the hold, mostly with one attempt between, so it is what a first failure adds:
      // the failure's reason and BullMQ's attempt fields, once.)
      expect(jobsLater.avgStacktraceEntries, 'stack traces kept per pending delivery after the hold').toBe(0);
      expect.soft(figures.redisBytesPerPendingDeliveryAfterHold, 'Redis bytes per pending delivery, after the hold vs when pending').toBeLessThanOrEqual(figures.redisBytesPerPendingDelivery * 1.25 + 256);
    } finally {
      rss.stop();
      await stopHerald(worker, 'SIGKILL');
      await producer.close();
      await Promise.all([downQueue.close(), ingress.close()]);
      await Promise.all([healthy.close(), down.close()]);
      await deleteKeys(redis.url, prefix);
      admin.disconnect();
    }
  });
});
