import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { createProducer, INGRESS_QUEUE, readRoutes } from '@herald/producer';
import { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * Herald 0.1 (commit 018b829) kept every accepted envelope as a job on the ingress queue
 * `events`, and each fanned-out delivery as a job on `endpoint.<name>` holding
 * `{ events, acceptedAt }` as plain JSON. These are its job ids and options, written here
 * with BullMQ directly, as 0.1 wrote them.
 */
const V01_OPTIONS = (jobId: string) => ({
  jobId,
  deduplication: { id: jobId, ttl: 600_000 },
  attempts: 1_000_000_000,
  backoff: { type: 'herald' },
  removeOnComplete: { count: 1000 },
  removeOnFail: false,
  stackTraceLimit: 0,
});
const v01EnvelopeId = (events: Event[]) => `e${createHash('sha256').update(events.map((event) => `${event.id}\n`).join('')).digest('hex').slice(0, 32)}`;
const v01DeliveryId = (envelopeId: string, endpoint: string) => `${envelopeId}-${createHash('sha256').update(endpoint).digest('hex').slice(0, 12)}`;

const prefix = testPrefix();
let all: WebhookReceiver;
let noPulls: WebhookReceiver;
let worker: HeraldProcess | undefined;

function event(id: string, action: 'push' | 'pull'): Event {
  return { id, timestamp: new Date().toISOString(), action, target: { repository: 'demo/app', mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:aa', size: 1 } };
}

beforeAll(async () => {
  [all, noPulls] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
});

afterAll(async () => {
  await worker?.stop();
  await Promise.all([all.close(), noPulls.close()]);
  await deleteKeys(REDIS_URL, prefix);
});

describe('upgrade from Herald 0.1', () => {
  it('delivers everything 0.1 left in Redis, and what is accepted after, exactly once per endpoint', async () => {
    const connection = { url: REDIS_URL };
    const ingress = new Queue(INGRESS_QUEUE, { connection, prefix });
    const queues = { all: new Queue('endpoint.all', { connection, prefix }), 'no-pulls': new Queue('endpoint.no-pulls', { connection, prefix }) };
    const expected = { all: new Set<string>(), noPulls: new Set<string>() };
    const accept = (events: Event[]) => {
      for (const e of events) {
        expected.all.add(e.id);
        if (e.action !== 'pull') expected.noPulls.add(e.id);
      }
    };
    try {
      // Envelopes 0.1 accepted but had not fanned out yet.
      for (let n = 0; n < 200; n += 1) {
        const events = [event(`old-ingress-${n}`, n % 3 === 0 ? 'pull' : 'push')];
        await ingress.add('envelope', { events }, V01_OPTIONS(v01EnvelopeId(events)));
        accept(events);
      }
      // Deliveries 0.1 had fanned out: some waiting, some retrying (delayed).
      for (let n = 0; n < 200; n += 1) {
        const events = [event(`old-delivery-${n}`, n % 3 === 0 ? 'pull' : 'push')];
        const envelopeId = v01EnvelopeId(events);
        const delay = n % 4 === 0 ? { delay: 1500 } : {};
        await queues.all.add('delivery', { events, acceptedAt: Date.now() }, { ...V01_OPTIONS(v01DeliveryId(envelopeId, 'all')), ...delay });
        if (events[0]!.action !== 'pull') {
          await queues['no-pulls'].add('delivery', { events, acceptedAt: Date.now() }, { ...V01_OPTIONS(v01DeliveryId(envelopeId, 'no-pulls')), ...delay });
        }
        accept(events);
      }

      worker = new HeraldProcess(['worker'], {
        HERALD_REDIS_URL: REDIS_URL,
        HERALD_REDIS_PREFIX: prefix,
        HERALD_HTTP_PORT: '0',
        HERALD_LOG_LEVEL: 'warn',
        HERALD_ENDPOINTS: JSON.stringify([
          { name: 'all', url: all.url },
          { name: 'no-pulls', url: noPulls.url, ignore: { actions: ['pull'] } },
        ]),
      });
      await worker.waitFor('worker: delivering to all, no-pulls');

      // The upgraded worker published its routes: new writes go straight to the endpoint queues.
      const redis = new Redis(REDIS_URL);
      expect((await readRoutes(redis, prefix))?.routes.map((route) => route.name)).toStrictEqual(['all', 'no-pulls']);
      redis.disconnect();
      const producer = createProducer({ redis: REDIS_URL, prefix });
      for (let n = 0; n < 200; n += 1) {
        const events = [event(`new-${n}`, n % 3 === 0 ? 'pull' : 'push')];
        await producer.write(...events);
        accept(events);
      }
      await producer.close();

      await all.until(() => new Set(all.delivered).size >= expected.all.size, 30_000);
      await noPulls.until(() => new Set(noPulls.delivered).size >= expected.noPulls.size, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(new Set(all.delivered)).toStrictEqual(expected.all);
      expect(new Set(noPulls.delivered)).toStrictEqual(expected.noPulls);
      expect(all.delivered).toHaveLength(600);
      expect(noPulls.delivered).toHaveLength(expected.noPulls.size);
      expect(await ingress.getJobCounts('waiting', 'active', 'delayed', 'failed')).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await Promise.all([ingress.close(), ...Object.values(queues).map((queue) => queue.close())]);
    }
  });
});
