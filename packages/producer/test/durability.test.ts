import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { RedisServer } from '../../../test/helpers/redis-server.js';
import { createProducer, INGRESS_QUEUE, NotReplicatedError, ProducerUnavailableError } from '../src/index.js';

/** `durability: replicated` against real servers: a master alone, and a master with a replica. */

const event = (id: string): Event => ({ id, timestamp: '2026-11-28T00:00:00Z', action: 'push', target: { repository: 'a/b' } });

let alone: RedisServer;
let master: RedisServer;
let replica: RedisServer;

beforeAll(async () => {
  [alone, master] = await Promise.all([RedisServer.start(), RedisServer.start()]);
  replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  const probe = new Redis(replica.url);
  try {
    for (let tries = 0; !(await probe.info('replication')).includes('master_link_status:up'); tries += 1) {
      if (tries > 600) throw new Error('the replica did not link to its master within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    probe.disconnect();
  }
});

afterAll(async () => {
  await Promise.all([alone, master, replica].map((server) => server?.destroy()));
});

async function queuedIds(server: RedisServer, prefix: string): Promise<string[]> {
  const queue = new Queue(INGRESS_QUEUE, { connection: { url: server.url }, prefix });
  try {
    return (await queue.getJobs(['waiting'])).flatMap((job) => (job.data as { events: Event[] }).events.map((e) => e.id));
  } finally {
    await queue.close();
  }
}

describe('durability: replicated', () => {
  it('resolves once the replica holds the envelope, and the replica has it', async () => {
    const producer = createProducer({ redis: master.url, prefix: 'durable', durability: 'replicated', timeoutMs: 2000 });
    try {
      await producer.write(event('kept-1'), event('kept-2'));
    } finally {
      await producer.close();
    }
    // Read from the replica itself: what a failover would promote.
    expect((await queuedIds(replica, 'durable')).sort()).toStrictEqual(['kept-1', 'kept-2']);
  });

  it('refuses to acknowledge when no replica confirms in time, with an error a caller retries on', async () => {
    // 2 s, connected first: WAIT gets 1.75 s of it, so a slow machine still sees WAIT's
    // answer (no replica) rather than the write's own timeout.
    const producer = createProducer({ redis: alone.url, prefix: 'durable', durability: 'replicated', timeoutMs: 2000 });
    try {
      await producer.ready();
      const started = performance.now();
      const error = await producer.write(event('alone-1')).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NotReplicatedError);
      expect(error).toBeInstanceOf(ProducerUnavailableError);
      expect((error as Error).message).toMatch(/no replica confirmed it within \d+ms; writing the same events again is safe/);
      expect(performance.now() - started).toBeLessThan(2500);
    } finally {
      await producer.close();
    }
  });

  it('acknowledges on a master alone with durability acknowledged, the default', async () => {
    const producer = createProducer({ redis: alone.url, prefix: 'acked', timeoutMs: 500 });
    try {
      await producer.write(event('acked-1'));
    } finally {
      await producer.close();
    }
    expect(await queuedIds(alone, 'acked')).toStrictEqual(['acked-1']);
  });
});
