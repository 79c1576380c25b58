import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { readEndpointCounters, type EndpointCounters } from './endpoint-stats.js';
import { endpointQueueName } from './endpoint-queue.js';

/** An endpoint as the whole fleet sees it: its counters and what waits in its queue. */
export interface EndpointStatus {
  readonly name: string;
  readonly counters: EndpointCounters;
  /** Deliveries not done yet: waiting, delayed (retrying), active. */
  readonly pending: number;
  /** Deliveries given up, waiting for `herald replay`. */
  readonly failed: number;
}

/** Reads every endpoint's counters and queue depth from Redis. */
export async function readFleetStatus(redis: Redis | Cluster, prefix: string, endpoints: readonly string[]): Promise<EndpointStatus[]> {
  const counters = await readEndpointCounters(redis, prefix, endpoints);
  return Promise.all(
    endpoints.map(async (name) => {
      const queue = new Queue(endpointQueueName(name), { connection: redis, prefix, skipVersionCheck: true });
      try {
        const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'paused', 'failed');
        const pending = (counts['waiting'] ?? 0) + (counts['delayed'] ?? 0) + (counts['active'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['paused'] ?? 0);
        return { name, counters: counters[name]!, pending, failed: counts['failed'] ?? 0 };
      } finally {
        await queue.close();
      }
    }),
  );
}
