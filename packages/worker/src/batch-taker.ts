import { Job, Worker, type Queue } from 'bullmq';
import type { DeliveryJobData } from '@herald/producer';
import { queueRedis } from './queue-redis.js';

type DeliveryJob = Job<DeliveryJobData>;

/**
 * The BullMQ Worker of an endpoint queue, able to turn the job a completion fetched
 * (`moveToCompleted(…, fetchNext: true)`, one script that completes one job and takes the
 * next) into a Job, as BullMQ's own loop does; BullMQ keeps that step protected.
 */
export class DeliveryQueueWorker extends Worker<DeliveryJobData> {
  /** The job `moveToCompleted` fetched with `token`, if any. */
  async fetched(result: unknown, token: string): Promise<DeliveryJob | undefined> {
    if (!Array.isArray(result) || !result[0] || !result[1]) return undefined;
    return this.nextJobFromJobData(result[0], result[1] as string, token);
  }
}

/**
 * Takes up to `max` more deliveries waiting in a shared (unordered) endpoint queue,
 * locked with `token` as BullMQ locks the job the worker already holds, so they are the
 * caller's alone and a crash hands them back to the fleet once the locks expire. Takes
 * nothing it would have to wait for: it asks for no more than are waiting now, and any
 * taken by another worker meanwhile are simply not in the result. The caller must
 * settle every job returned (complete or fail it with `token`) and extend their locks
 * while it holds them.
 */
export async function takeWaiting(
  worker: Worker<DeliveryJobData>,
  queue: Queue<DeliveryJobData>,
  token: string,
  max: number,
  onError: (error: unknown) => void,
): Promise<DeliveryJob[]> {
  if (max <= 0) return [];
  let waiting: number;
  try {
    waiting = await (await queueRedis(queue)).llen(queue.keys['wait']!);
  } catch (error) {
    onError(error);
    return [];
  }
  const count = Math.min(max, waiting);
  if (count === 0) return [];
  // One script per job, sent together: the connection keeps their order, and so the wait
  // list's. Should some fail, every job that was taken is still returned: one left out would
  // wait out its lock before it ran again.
  const results = await Promise.allSettled(Array.from({ length: count }, () => worker.getNextJob(token, { block: false })));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) onError(failure.reason);
  return results.flatMap((result) => (result.status === 'fulfilled' && result.value !== undefined ? [result.value] : []));
}

/**
 * Reads, without taking them, up to `max` deliveries next in line behind the head of an
 * ordered endpoint's queue, in acceptance order. While the head is active nobody else
 * can take them: an ordered queue runs one job at a time fleet-wide.
 */
export async function peekNextInLine(queue: Queue<DeliveryJobData>, max: number): Promise<DeliveryJob[]> {
  if (max <= 0) return [];
  // BullMQ adds at the left of the wait list and takes from the right.
  const ids = (await (await queueRedis(queue)).lrange(queue.keys['wait']!, -max, -1)).reverse();
  const jobs = await Promise.all(ids.filter((id) => !id.startsWith('0:')).map((id) => Job.fromId<DeliveryJobData>(queue, id)));
  const next: DeliveryJob[] = [];
  for (const job of jobs) {
    if (job === undefined) break;
    next.push(job);
  }
  return next;
}
