import { Job, type Queue, type Worker } from 'bullmq';
import type { DeliveryJobData } from '@herald/producer';
import type { Redis } from 'ioredis';

type DeliveryJob = Job<DeliveryJobData>;

/**
 * Takes up to `max` more deliveries waiting in a shared (unordered) endpoint queue,
 * locked with `token` as BullMQ locks the job the worker already holds, so they are the
 * caller's alone and a crash hands them back to the fleet once the locks expire. Takes
 * nothing it would have to wait for: it asks for no more than are waiting now, and any
 * taken by another worker meanwhile are simply not in the result. The caller must
 * settle every job returned (complete or fail it with `token`) and extend their locks
 * while it holds them.
 */
export async function takeWaiting(worker: Worker<DeliveryJobData>, queue: Queue<DeliveryJobData>, token: string, max: number): Promise<DeliveryJob[]> {
  if (max <= 0) return [];
  const waiting = await (await queue.client).llen(queue.keys['wait']!);
  const count = Math.min(max, waiting);
  if (count === 0) return [];
  // One script per job, sent together: the connection keeps their order, and so the wait list's.
  const jobs = await Promise.all(Array.from({ length: count }, () => worker.getNextJob(token, { block: false })));
  return jobs.filter((job): job is DeliveryJob => job !== undefined);
}

/**
 * Reads, without taking them, up to `max` deliveries next in line behind the head of an
 * ordered endpoint's queue, in acceptance order. While the head is active nobody else
 * can take them: an ordered queue runs one job at a time fleet-wide.
 */
export async function peekNextInLine(queue: Queue<DeliveryJobData>, max: number): Promise<DeliveryJob[]> {
  if (max <= 0) return [];
  // BullMQ adds at the left of the wait list and takes from the right.
  const ids = (await (await queue.client).lrange(queue.keys['wait']!, -max, -1)).reverse();
  const jobs = await Promise.all(ids.filter((id) => !id.startsWith('0:')).map((id) => Job.fromId<DeliveryJobData>(queue, id)));
  const next: DeliveryJob[] = [];
  for (const job of jobs) {
    if (job === undefined) break;
    next.push(job);
  }
  return next;
}

/**
 * The deliveries of an ordered endpoint sent ahead of their turn, in a batch behind the
 * head: they stay in the queue, keep their place, and complete without being sent again
 * when their turn comes. The set lives beside the queue's keys.
 */
export class DeliveredAhead {
  readonly #queue: Queue<DeliveryJobData>;
  readonly #key: string;

  constructor(queue: Queue<DeliveryJobData>) {
    this.#queue = queue;
    this.#key = queue.toKey('herald-delivered-ahead');
  }

  /** The queue's connection: an ioredis client, which BullMQ types more narrowly. */
  async #redis(): Promise<Redis> {
    return (await this.#queue.client) as unknown as Redis;
  }

  /** Records that these were delivered; a day later the record goes (at worst, a resend). */
  async record(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await (await this.#redis()).multi().sadd(this.#key, ...ids).expire(this.#key, 86_400).exec();
  }

  /** Whether the job was delivered ahead of its turn; forgets it either way. */
  async claim(id: string): Promise<boolean> {
    return (await (await this.#redis()).srem(this.#key, id)) === 1;
  }
}
