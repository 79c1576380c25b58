import { NodeProcess } from './node-process.js';

/**
 * The hand-written alternative Herald is measured against: what a developer writes in
 * an afternoon with BullMQ and got. The producer does `Queue.add(envelope)` on one queue;
 * each worker process runs a BullMQ Worker whose processor POSTs the envelope to every
 * endpoint with got (keep-alive, one pool per endpoint, `concurrency` sockets) and
 * fails the job on any error. It has retries and the same completed-job retention as
 * Herald, and none of Herald's deduplication, per-endpoint isolation, ordering,
 * signatures, expiry, metrics or logs.
 */
export const BASELINE_QUEUE = 'baseline';

/** Options of every baseline job: retried with backoff, the last 1,000 completed jobs kept, failures kept. */
export const BASELINE_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: false,
} as const;

/** Settings of one baseline worker process. */
export interface BaselineWorkerSettings {
  redisUrl: string;
  prefix: string;
  /** Jobs in flight in the process (BullMQ Worker concurrency). */
  concurrency: number;
  /** Endpoint URLs each job is POSTed to. */
  endpoints: string[];
  /** Node options of the process, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/** Starts one baseline worker process (baseline-worker.ts) and waits until it consumes. */
export async function startBaselineWorker(settings: BaselineWorkerSettings): Promise<NodeProcess> {
  const process = NodeProcess.script(
    './baseline-worker.ts',
    {
      BENCH_REDIS_URL: settings.redisUrl,
      BENCH_PREFIX: settings.prefix,
      BENCH_CONCURRENCY: String(settings.concurrency),
      BENCH_ENDPOINTS: JSON.stringify(settings.endpoints),
    },
    settings.nodeArgs,
  );
  await process.waitFor(/baseline: consuming/);
  return process;
}
