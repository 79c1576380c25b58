import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { benchEvent, eventIds } from './bench-event.js';
import { Pipeline, type PipelineSettings, type System } from './pipeline.js';
import type { RedisProbe } from './redis-probe.js';
import { concurrently, sleep } from './load-loop.js';

/** Redis memory held for pending deliveries, in bytes. */
export interface PendingMemory {
  /** Deliveries waiting. */
  pending: number;
  /** used_memory growth ÷ pending. */
  bytesPerPending: number;
  /** MEMORY USAGE of the prefix's keys by kind, ÷ pending: where the bytes are. */
  byKind: Record<string, number>;
}

/** Keys BullMQ keeps once per queue (not per job). */
const QUEUE_KEYS = new Set(['wait', 'paused', 'active', 'id', 'delayed', 'prioritized', 'completed', 'failed', 'stalled', 'stalled-check', 'meta', 'events', 'pc', 'marker', 'limiter', 'repeat', 'waiting-children']);

/** What a key under the prefix is: a job hash, a deduplication key, or a queue structure, and in which queue. */
function kindOf(prefix: string, key: string): string {
  const rest = key.slice(prefix.length + 1);
  const colon = rest.indexOf(':');
  if (colon < 0) return 'other';
  const name = rest.slice(0, colon);
  if (name === 'routes') return 'routes (per prefix)';
  const queue = name === 'events' ? 'ingress' : name.startsWith('endpoint.') ? 'endpoint' : name;
  const tail = rest.slice(colon + 1);
  if (queue === 'stats') return 'stats';
  if (tail.startsWith('de:')) return `${queue} dedup key`;
  if (QUEUE_KEYS.has(tail)) return `${queue} ${tail === 'events' ? 'event stream' : tail} (per queue)`;
  if (tail.includes(':')) return `${queue} job aux`;
  return `${queue} job hash`;
}

/** Sums MEMORY USAGE of every key under the prefix, by kind. */
async function memoryByKind(url: string, prefix: string): Promise<Record<string, number>> {
  const redis = new Redis(url);
  const totals: Record<string, number> = {};
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
      cursor = next;
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
      const results = (await pipeline.exec()) ?? [];
      keys.forEach((key, index) => {
        const kind = kindOf(prefix, key);
        totals[kind] = (totals[kind] ?? 0) + Number(results[index]?.[1] ?? 0);
      });
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return totals;
}

/**
 * Redis memory per pending delivery: one worker runs, but endpoint 0's deliveries are
 * stopped (its queue paused, as for an endpoint that is down), and `events` events are
 * accepted. Once every delivery is queued, used_memory's growth and the
 * MEMORY USAGE of the run's keys are divided by the deliveries pending. Herald's
 * deduplication keys are counted: they live ten minutes after each accept.
 */
export async function pendingMemory(system: System, settings: PipelineSettings, events: number, probe: RedisProbe): Promise<PendingMemory> {
  const pipeline = new Pipeline(system, settings);
  const id = eventIds(randomUUID());
  const queue = pipeline.deliveryQueue(0);
  try {
    await pipeline.start();
    await pipeline.pause(); // the baseline has one queue: stopping the endpoint stops it.
    await sleep(500);
    await probe.redis.call('MEMORY', 'PURGE');
    const before = (await probe.snapshot()).usedMemory;
    let next = 0;
    await concurrently(64, async () => {
      if (next >= events) return false;
      await pipeline.write(benchEvent(id(next++)));
      return true;
    });
    const deadline = Date.now() + Math.max(120_000, events * 5);
    for (;;) {
      // BullMQ 6 keeps a paused queue's jobs in wait.
      const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed');
      const queued = Object.values(counts).reduce((sum, count) => sum + count, 0);
      if (queued >= events) break;
      if (Date.now() > deadline) throw new Error(`only ${queued} of ${events} deliveries queued`);
      await sleep(250);
    }
    await sleep(1000);
    await probe.redis.call('MEMORY', 'PURGE');
    const after = (await probe.snapshot()).usedMemory;
    const byKind = await memoryByKind(settings.redisUrl, pipeline.prefix);
    for (const kind of Object.keys(byKind)) byKind[kind] = Math.round((byKind[kind]! / events) * 10) / 10;
    return { pending: events, bytesPerPending: (after - before) / events, byKind };
  } finally {
    if (system === 'herald') await queue.close();
    await pipeline.stop();
  }
}
