import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { readEndpointCounters, type EndpointCounters } from './endpoint-stats.js';
import { endpointQueueName, readKnownEndpoints, slotPerQueue } from '@herald/producer';
import { oldestPendingAcceptedAt } from './oldest-pending.js';
import { queueRedis } from './queue-redis.js';

/** An endpoint as the whole fleet sees it: its counters and what waits in its queue. */
export interface EndpointStatus {
  readonly name: string;
  /**
   * Whether the config names it. An endpoint removed from the config but routed before is
   * listed while its queue still holds deliveries: nobody delivers them until it is back.
   */
  readonly configured: boolean;
  readonly counters: EndpointCounters;
  /** Deliveries not done yet: waiting, delayed (retrying), active. */
  readonly pending: number;
  /** Deliveries given up, waiting for `herald replay`. */
  readonly failed: number;
  /** Paused fleet-wide (`herald pause`, the board, or a 410 answer): nothing is sent until resumed. */
  readonly paused: boolean;
  /** Age of the oldest pending delivery, in ms, from its acceptance; undefined when none is pending. */
  readonly oldestPendingMs: number | undefined;
}

/**
 * Reads every endpoint's counters and queue depth from Redis: the configured endpoints,
 * then those routed once but no longer configured that still hold deliveries.
 */
export async function readFleetStatus(redis: Redis | Cluster, prefix: string, endpoints: readonly string[]): Promise<EndpointStatus[]> {
  const configured = new Set(endpoints);
  const removed = (await readKnownEndpoints(redis, prefix)).filter((name) => !configured.has(name));
  const names = [...endpoints, ...removed];
  const counters = await readEndpointCounters(redis, prefix, names);
  const statuses = await Promise.all(
    names.map(async (name) => {
      const queue = new Queue(endpointQueueName(name, slotPerQueue(redis, prefix)), { connection: redis, prefix, skipVersionCheck: true });
      try {
        const [counts, legacyPaused, paused, oldest] = await Promise.all([
          queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'failed'),
          // BullMQ 6 keeps a paused queue's jobs waiting; BullMQ 5 moved them to a list of their
          // own, which stays until the endpoint is resumed.
          queueRedis(queue).then((client) => client.llen(queue.keys.paused!)),
          queue.isPaused(),
          oldestPendingAcceptedAt(queue),
        ]);
        const pending = (counts['waiting'] ?? 0) + (counts['delayed'] ?? 0) + (counts['active'] ?? 0) + (counts['prioritized'] ?? 0) + legacyPaused;
        const oldestPendingMs = oldest === undefined ? undefined : Math.max(0, Date.now() - oldest);
        return { name, configured: configured.has(name), counters: counters[name]!, pending, failed: counts['failed'] ?? 0, paused, oldestPendingMs };
      } finally {
        await queue.close();
      }
    }),
  );
  return statuses.filter((status) => status.configured || status.pending + status.failed > 0);
}
