/**
 * One process of the hand-written baseline (see baseline-pipeline.ts): a BullMQ Worker
 * that POSTs each job's envelope to every endpoint with got. Configured by
 * BENCH_REDIS_URL, BENCH_PREFIX, BENCH_CONCURRENCY and BENCH_ENDPOINTS (a JSON list of
 * URLs); prints `baseline: consuming`; SIGTERM finishes the jobs in flight and exits.
 */
import { Agent } from 'node:http';
import { Worker } from 'bullmq';
import got from 'got';
import { BASELINE_QUEUE } from './baseline-pipeline.js';
import { BENCH_MEDIA_TYPE } from './bench-event.js';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const concurrency = Number(env('BENCH_CONCURRENCY'));
const endpoints = (JSON.parse(env('BENCH_ENDPOINTS')) as string[]).map((url) => ({
  url,
  agent: new Agent({ keepAlive: true, maxSockets: concurrency }),
}));

const worker = new Worker(
  BASELINE_QUEUE,
  async (job) => {
    const body = JSON.stringify(job.data);
    await Promise.all(
      endpoints.map(({ url, agent }) =>
        got.post(url, {
          body,
          headers: { 'content-type': BENCH_MEDIA_TYPE },
          agent: { http: agent },
          retry: { limit: 0 },
          timeout: { request: 5000 },
        }),
      ),
    );
  },
  { connection: { url: env('BENCH_REDIS_URL'), maxRetriesPerRequest: null }, prefix: env('BENCH_PREFIX'), concurrency },
);
worker.on('error', (error) => console.error(`baseline: worker error: ${error.message}`));
await worker.waitUntilReady();
console.log('baseline: consuming');

process.once('SIGTERM', () => {
  void worker.close().then(() => {
    for (const { agent } of endpoints) agent.destroy();
    process.exit(0);
  });
});
