import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';

/** Options of replayFailed. */
export interface ReplayOptions {
  /** Count what would be replayed, change nothing. @defaultValue false */
  dryRun?: boolean;
  /** Failed jobs read per page. @defaultValue 500 */
  pageSize?: number;
  /** Told after each page: jobs replayed so far, and how many there were. @defaultValue none */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Re-drives every failed job of a queue (deliveries given up after `maxage`, or
 * fan-outs that failed): each goes back to the queue with its attempt counts reset
 * and `acceptedAt` set to now, so it gets a whole `maxage` again. Returns how many.
 * Safe to run while workers run; a job retried twice is delivered at least once.
 */
export async function replayFailed(redis: Redis | Cluster, prefix: string, queueName: string, options: ReplayOptions = {}): Promise<number> {
  const queue = new Queue(queueName, { connection: redis, prefix, skipVersionCheck: true });
  try {
    const total = await queue.getFailedCount();
    if (options.dryRun || total === 0) return total;
    const pageSize = options.pageSize ?? 500;
    let done = 0;
    // Replayed jobs leave the failed set, so the first page is always the next one.
    for (let pages = 0; done < total && pages <= Math.ceil(total / pageSize) + 1; pages += 1) {
      const jobs = await queue.getFailed(0, pageSize - 1);
      if (jobs.length === 0) break;
      for (const job of jobs) {
        // maxage counts from acceptedAt when the data has one, else from the job's timestamp.
        await job.updateData({ ...(job.data as Record<string, unknown>), acceptedAt: Date.now() });
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        done += 1;
      }
      options.onProgress?.(done, total);
    }
    return done;
  } finally {
    await queue.close();
  }
}
