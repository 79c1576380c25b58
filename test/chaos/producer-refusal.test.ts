import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { createProducer, type Producer } from '@herald/producer';
import { testPrefix } from '../helpers/redis-keys.js';
import { RedisServer } from '../helpers/redis-server.js';
import { chaosEvent } from './helpers/chaos-events.js';
import { recordFigures } from './helpers/figures.js';
import { SeededRandom } from './helpers/seeded-random.js';
import { Teardown } from './helpers/teardown.js';
import { sleep } from './helpers/wait-until.js';

// Part of the Redis-crash scenario (redis-crash.test.ts): a write Redis cannot take fails
// cleanly, and within the producer's timeoutMs (packages/producer/README.md: "When Redis is
// unreachable, writes reject within timeoutMs"). `herald ingest` answers 503 on the same path.

/** Time the producer gives Redis to acknowledge a write. */
const PRODUCER_TIMEOUT_MS = 1000;

/** Times one producer write: its outcome (error name) and how long it took, giving up waiting after `boundMs`. */
async function timedWrite(producer: Producer, event: Event, boundMs: number): Promise<{ outcome: string; ms: number }> {
  const at = Date.now();
  const outcome = await Promise.race([
    producer.write(event).then(
      () => 'acknowledged',
      (error: unknown) => (error as Error).name,
    ),
    sleep(boundMs).then(() => 'still pending'),
  ]);
  return { outcome, ms: Date.now() - at };
}

describe('writes Redis cannot take', () => {
  it('refuses every write within timeoutMs while Redis is down, also a write that queued behind another', async () => {
    const teardown = new Teardown();
    try {
      const server = await RedisServer.start();
      teardown.add('redis-server', () => server.destroy());
      const producer = createProducer({ redis: server.url, prefix: testPrefix(), timeoutMs: PRODUCER_TIMEOUT_MS });
      teardown.add('producer', () => producer.close());
      await producer.ready();
      await server.stop('SIGKILL');
      // Let the producer see the connection close, so both writes wait for a reconnection.
      await sleep(500);
      const random = new SeededRandom(1);
      // The second write arrives while the first one's round trip waits for Redis.
      const first = timedWrite(producer, chaosEvent('refused-1', random), 10_000);
      await sleep(50);
      const second = timedWrite(producer, chaosEvent('refused-2', random), 10_000);
      const results = await Promise.all([first, second]);
      recordFigures('redis-down-write-refusal', { timeoutMs: PRODUCER_TIMEOUT_MS, first: results[0], second: results[1] });
      for (const result of results) {
        expect(result.outcome).toBe('ProducerUnavailableError');
        // packages/producer/README.md: "When Redis is unreachable, writes reject within timeoutMs"; 500 ms of slack for a busy machine.
        expect(result.ms).toBeLessThanOrEqual(PRODUCER_TIMEOUT_MS + 500);
      }
    } finally {
      const errors = await teardown.run();
      expect(errors).toStrictEqual([]);
    }
  }, 60_000);

  it('refuses a write within timeoutMs when Redis is reachable but stops answering (redis-server SIGSTOPped)', async () => {
    const teardown = new Teardown();
    try {
      const server = await RedisServer.start();
      teardown.add('redis-server', () => server.destroy());
      const probe = new Redis(server.url, { maxRetriesPerRequest: 1 });
      probe.on('error', () => {});
      const pid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1]);
      probe.disconnect();
      const producer = createProducer({ redis: server.url, prefix: testPrefix(), timeoutMs: PRODUCER_TIMEOUT_MS });
      teardown.add('producer', () => producer.close());
      await producer.ready();
      const random = new SeededRandom(2);
      await producer.write(chaosEvent('before-freeze', random));
      process.kill(pid, 'SIGSTOP');
      teardown.add('redis-server SIGCONT', async () => process.kill(pid, 'SIGCONT'));
      const result = await timedWrite(producer, chaosEvent('frozen', random), PRODUCER_TIMEOUT_MS + 7000);
      recordFigures('redis-frozen-write-refusal', { timeoutMs: PRODUCER_TIMEOUT_MS, ...result });
      expect(result.outcome).toBe('ProducerUnavailableError');
      expect(result.ms).toBeLessThanOrEqual(PRODUCER_TIMEOUT_MS + 500);
    } finally {
      const errors = await teardown.run();
      expect(errors).toStrictEqual([]);
    }
  }, 60_000);
});
