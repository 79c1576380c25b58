import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { INGRESS_QUEUE } from '@herald/producer';
import { readFleetStatus } from '@herald/worker';
import type { WebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitUntil } from './wait-until.js';

/** What one endpoint got, against what it should have got. */
export interface EndpointAudit {
  readonly endpoint: string;
  /** Event ids accepted for it (after its filter). */
  readonly expected: number;
  /** Distinct event ids it got with a 2xx. */
  readonly delivered: number;
  /** Expected ids it never got: lost. */
  readonly lost: number;
  /** Ids it got that were never accepted for it (filtered out, or never written). */
  readonly unexpected: number;
  /** Deliveries of an id beyond the first. */
  readonly duplicates: number;
  /** POSTs it answered with a 2xx. */
  readonly requests: number;
  /** Up to 20 lost ids, for the report. */
  readonly lostSample: string[];
  /** Up to 20 unexpected ids, for the report. */
  readonly unexpectedSample: string[];
}

/** Compares what a receiver got with the ids accepted for it. */
export function auditEndpoint(endpoint: string, receiver: WebhookReceiver, expected: ReadonlySet<string>): EndpointAudit {
  const got = new Set(receiver.delivered);
  const lost = [...expected].filter((id) => !got.has(id));
  const unexpected = [...got].filter((id) => !expected.has(id));
  return {
    endpoint,
    expected: expected.size,
    delivered: got.size,
    lost: lost.length,
    unexpected: unexpected.length,
    duplicates: receiver.delivered.length - got.size,
    requests: receiver.deliveries.length,
    lostSample: lost.slice(0, 20),
    unexpectedSample: unexpected.slice(0, 20),
  };
}

/** Whether the receiver has got every expected id at least once. */
export function hasAll(receiver: WebhookReceiver, expected: ReadonlySet<string>): boolean {
  if (receiver.delivered.length < expected.size) return false;
  const got = new Set(receiver.delivered);
  for (const id of expected) if (!got.has(id)) return false;
  return true;
}

/** What is left in Herald's queues: jobs not done yet, and jobs given up (failed set). */
export interface QueueLeftovers {
  readonly pending: number;
  readonly failed: number;
  readonly byQueue: Record<string, { pending: number; failed: number }>;
}

/** Reads the ingress queue and every endpoint queue of a prefix. */
export async function readLeftovers(redisUrl: string, prefix: string, endpoints: readonly string[]): Promise<QueueLeftovers> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  const ingress = new Queue(INGRESS_QUEUE, { connection: redis, prefix, skipVersionCheck: true });
  try {
    const counts = await ingress.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'paused', 'failed');
    const byQueue: Record<string, { pending: number; failed: number }> = {
      [INGRESS_QUEUE]: {
        pending: (counts['waiting'] ?? 0) + (counts['delayed'] ?? 0) + (counts['active'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['paused'] ?? 0),
        failed: counts['failed'] ?? 0,
      },
    };
    for (const status of await readFleetStatus(redis, prefix, endpoints)) byQueue[status.name] = { pending: status.pending, failed: status.failed };
    const all = Object.values(byQueue);
    return { pending: all.reduce((sum, q) => sum + q.pending, 0), failed: all.reduce((sum, q) => sum + q.failed, 0), byQueue };
  } finally {
    await ingress.close();
    redis.disconnect();
  }
}

/**
 * Polls the queues until nothing is pending (so late duplicates, a killed worker's jobs run
 * again after their lock expired, are counted too) or `timeoutMs` passes; returns what was
 * left at the last look.
 */
export async function leftoversOnceSettled(redisUrl: string, prefix: string, endpoints: readonly string[], timeoutMs: number): Promise<QueueLeftovers> {
  let leftovers = await readLeftovers(redisUrl, prefix, endpoints);
  await waitUntil(
    async () => {
      leftovers = await readLeftovers(redisUrl, prefix, endpoints);
      return leftovers.pending === 0;
    },
    timeoutMs,
    250,
  );
  return leftovers;
}
