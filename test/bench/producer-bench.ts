/**
 * The producer section of the benchmark alone (the table in packages/producer/README.md):
 * durable enqueue rate with one writer awaiting each write and with 64 concurrent
 * writers, against a private redis-server without persistence, then with appendfsync
 * everysec. Run: npx tsx test/bench/producer-bench.ts [--quick]. The whole benchmark,
 * with this section in it: npm run bench.
 */
import { RedisServer } from '../helpers/redis-server.js';
import { benchPlan } from './bench-plan.js';
import { PERSISTENCE } from './bench-run.js';
import { repeat } from './measured.js';
import { producerRate } from './producer-scenario.js';

const plan = benchPlan(process.argv.slice(2));
for (const persistence of ['none', 'everysec'] as const) {
  const server = await RedisServer.start({ args: PERSISTENCE[persistence] });
  try {
    for (const [writers, events] of [
      [1, plan.producerEvents.one],
      [64, plan.producerEvents.many],
    ] as const) {
      const rate = await repeat(plan.repetitions, () => producerRate(server.url, writers, events));
      console.log(`redis ${persistence.padEnd(8)} writers=${String(writers).padStart(2)}  median ${Math.round(rate.median)} events/s  (runs: ${rate.runs.map(Math.round).join(', ')})`);
    }
  } finally {
    await server.destroy();
  }
}
