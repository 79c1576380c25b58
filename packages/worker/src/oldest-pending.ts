import type { Queue } from 'bullmq';
import { queueRedis } from './queue-redis.js';

/**
 * How many of the retrying deliveries (the delayed set, ordered by next attempt) are
 * read to find the oldest: the delayed set can hold millions during an outage, and the
 * deliveries retried soonest are, on Herald's schedule, mostly the ones that failed first.
 */
export const DELAYED_SAMPLE = 20;

/**
 * When the oldest delivery still pending in a queue was accepted, in ms since the epoch,
 * or undefined when nothing is pending. Reads the oldest of the waiting, paused and active
 * lists (their far end) and the first DELAYED_SAMPLE of the delayed set: exact for an
 * endpoint that keeps up or is paused, a close lower bound of the age while it retries.
 */
export async function oldestPendingAcceptedAt(queue: Queue): Promise<number | undefined> {
  const client = await queueRedis(queue);
  const { wait, paused, active, delayed } = queue.keys;
  const reads = await client
    .pipeline()
    .lindex(wait!, -1)
    .lindex(paused!, -1)
    .lindex(active!, -1)
    .zrange(delayed!, 0, String(DELAYED_SAMPLE - 1))
    .exec();
  const ids = new Set<string>();
  for (const [error, value] of reads ?? []) {
    if (error !== null) throw error;
    for (const id of Array.isArray(value) ? value : [value]) if (typeof id === 'string') ids.add(id);
  }
  if (ids.size === 0) return undefined;
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.hmget(queue.toKey(id), 'timestamp', 'data');
  let oldest: number | undefined;
  for (const [error, value] of (await pipeline.exec()) ?? []) {
    if (error !== null) throw error;
    const acceptedAt = acceptedAtOfFields(value as [string | null, string | null]);
    if (acceptedAt !== undefined && (oldest === undefined || acceptedAt < oldest)) oldest = acceptedAt;
  }
  return oldest;
}

/** A job's acceptance time from its raw hash fields, as acceptedAtOf reads it from a job. */
function acceptedAtOfFields([timestamp, data]: [string | null, string | null]): number | undefined {
  try {
    const acceptedAt = (JSON.parse(data ?? '{}') as { acceptedAt?: unknown }).acceptedAt;
    if (typeof acceptedAt === 'number') return acceptedAt;
  } catch {
    // An unreadable job still has BullMQ's timestamp.
  }
  const created = Number(timestamp);
  // A job gone between the two reads has neither field.
  return timestamp === null || !Number.isFinite(created) ? undefined : created;
}
