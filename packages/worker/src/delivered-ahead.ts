import type { Job, Queue } from 'bullmq';
import type { DeliveryJobData } from '@herald/producer';
import type { Redis } from 'ioredis';
import { queueRedis } from './queue-redis.js';

type DeliveryJob = Job<DeliveryJobData>;

/** How a delivery is named in the delivered-ahead set: its id and the time it was added. */
const memberOf = (job: DeliveryJob) => `${job.id}:${job.timestamp}`;

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
    return queueRedis(this.#queue);
  }

  /**
   * Records that these were delivered. Each is recorded by id and acceptance time, so that
   * a later job with the same id (the same envelope written again after the dedupe window)
   * is never mistaken for it. The set expires a day after the last record.
   */
  async record(jobs: readonly DeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await (await this.#redis()).multi().sadd(this.#key, ...jobs.map(memberOf)).expire(this.#key, 86_400).exec();
  }

  /** Whether the job was delivered ahead of its turn; forgets it either way. */
  async claim(job: DeliveryJob): Promise<boolean> {
    return (await (await this.#redis()).srem(this.#key, memberOf(job))) === 1;
  }
}
