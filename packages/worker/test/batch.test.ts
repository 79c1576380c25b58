import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import type { Event } from '@herald/events';
import { readEndpointCounters } from '../src/endpoint-stats.js';
import { webhookIdOf } from '../src/signature.js';
import { startWorker } from '../src/worker.js';
import { REDIS_URL } from '../../../test/helpers/redis-keys.js';
import { event, Harness, sorted } from './worker-fixture.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(async () => {
  await h.close();
});

/** Publishes the routes with a worker that stops at once, so what is written next waits: a backlog. */
async function backlogOf(count: number): Promise<Event[]> {
  await (await h.startWorker()).close();
  h.workers.length = 0;
  // Routed from the first write on, so that the backlog waits in acceptance order.
  await h.producer.ready();
  const events = Array.from({ length: count }, () => event());
  for (const e of events) await h.producer.write(e);
  return events;
}

const idsOf = (events: readonly Event[]) => events.map((e) => e.id);
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

async function jobCounts(endpoint: string) {
  const queue = h.queue(endpoint);
  const { waiting, active, delayed, completed, failed } = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  await queue.close();
  return { waiting, active, delayed, completed, failed };
}

describe('batched delivery (maxbatch)', () => {
  it('sends a backlog in envelopes of up to maxbatch events, each event once, and counts requests apart from events', async () => {
    const hook = await h.receiver('batched');
    h.configure([{ name: 'batched', maxbatch: 32 }]);
    const events = await backlogOf(300);
    const metrics = new Registry();
    h.workers.push(await startWorker({ config: h.config, logger: h.logger, lockDurationMs: 2000, metrics }));
    await hook.until(() => hook.delivered.length >= events.length);
    await settle();
    expect(hook.delivered.toSorted()).toStrictEqual(sorted(idsOf(events)));
    const sizes = hook.deliveries.map((d) => d.eventIds.length);
    expect(Math.max(...sizes)).toBe(32);
    // Ten processors each take a batch: far fewer requests than events.
    expect(hook.deliveries.length).toBeLessThanOrEqual(30);
    expect(await jobCounts('batched')).toStrictEqual({ waiting: 0, active: 0, delayed: 0, completed: 300, failed: 0 });
    await h.workers[0]!.close();
    const redis = new Redis(REDIS_URL);
    const { batched } = await readEndpointCounters(redis, h.prefix, ['batched']).finally(() => redis.disconnect());
    expect(batched).toMatchObject({ Events: 300, Successes: 300, Requests: hook.deliveries.length });
    const text = await metrics.metrics();
    expect(text).toContain(`herald_endpoint_requests_total{endpoint="batched"} ${hook.deliveries.length}`);
    expect(text).toContain('herald_endpoint_events_total{endpoint="batched"} 300');
  });

  it('never waits for a batch to fill: one event at a time goes out alone', async () => {
    const hook = await h.receiver('quiet');
    h.configure([{ name: 'quiet', maxbatch: 32 }]);
    await h.startWorker();
    const events = Array.from({ length: 10 }, () => event());
    for (const e of events) {
      const sentAt = Date.now();
      await h.producer.write(e);
      await hook.until(() => hook.delivered.includes(e.id));
      expect(Date.now() - sentAt).toBeLessThan(2000);
    }
    expect(hook.deliveries.map((d) => d.eventIds)).toStrictEqual(events.map((e) => [e.id]));
  });

  it('keeps every request within maxbatchbytes', async () => {
    const hook = await h.receiver('small');
    h.configure([{ name: 'small', maxbatch: 50, maxbatchbytes: '2KiB' }]);
    const events = await backlogOf(60);
    await h.startWorker();
    await hook.until(() => hook.delivered.length >= events.length);
    for (const delivery of hook.deliveries) expect(Buffer.byteLength(delivery.body)).toBeLessThanOrEqual(2048);
    expect(Math.max(...hook.deliveries.map((d) => d.eventIds.length))).toBeGreaterThan(1);
    expect(hook.delivered.toSorted()).toStrictEqual(sorted(idsOf(events)));
  });

  it('splits a batch the endpoint refuses with a 4xx until the poison event is alone, and delivers the rest', async () => {
    const hook = await h.receiver('picky');
    h.configure([{ name: 'picky', maxbatch: 32, backoff: '10s' }], { HERALD_WORKER_CONCURRENCY: '1' });
    const events = await backlogOf(40);
    const poison = events[17]!;
    hook.reply = (delivery) => (delivery.eventIds.includes(poison.id) ? { status: 422 } : { status: 200 });
    await h.startWorker();
    await hook.until(() => hook.delivered.length >= events.length - 1);
    await settle();
    expect(hook.delivered.toSorted()).toStrictEqual(sorted(idsOf(events).filter((id) => id !== poison.id)));
    // The last request holding the poison event held it alone.
    expect(hook.deliveries.filter((d) => d.eventIds.includes(poison.id)).at(-1)!.eventIds).toStrictEqual([poison.id]);
    expect(await jobCounts('picky')).toMatchObject({ completed: 39, delayed: 1 });
    const split = h.log.lines.filter((line) => line['msg'] === 'endpoint refused a batch with a 4xx; sending each half on its own');
    expect(split.length).toBeGreaterThanOrEqual(1);
  });

  it('retries a whole batch after a 503, no sooner than Retry-After, each request signed and named by the events it holds', async () => {
    const hook = await h.receiver('down');
    const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    h.configure([{ name: 'down', maxbatch: 16, backoff: '100ms', secret }], { HERALD_WORKER_CONCURRENCY: '1' });
    const events = await backlogOf(12);
    let refused = 0;
    hook.reply = () => (refused++ < 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 });
    await h.startWorker();
    await hook.until(() => hook.delivered.length >= events.length);
    await settle();
    const [first, ...retries] = hook.deliveries;
    expect(first!.eventIds.toSorted()).toStrictEqual(sorted(idsOf(events)));
    // The retries (one batch, or a few if their delays fell apart) deliver each event once, after Retry-After.
    expect(retries.flatMap((d) => d.eventIds).toSorted()).toStrictEqual(sorted(idsOf(events)));
    for (const retry of retries) expect(retry.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1000);
    const verifier = new Webhook(secret);
    for (const d of hook.deliveries) {
      const headers = {
        'webhook-id': String(d.headers['webhook-id']),
        'webhook-timestamp': String(d.headers['webhook-timestamp']),
        'webhook-signature': String(d.headers['webhook-signature']),
      };
      expect(verifier.verify(d.body, headers)).toStrictEqual(JSON.parse(d.body));
      // The id depends on the endpoint and the events sent, in order, and on nothing else: a batch retried unchanged keeps it.
      expect(headers['webhook-id']).toBe(webhookIdOf('down', d.eventIds));
    }
  });

  it('keeps an ordered endpoint in order across two workers, batch after batch, holding back behind a failing event', async () => {
    const hook = await h.receiver('ordered');
    h.configure([{ name: 'ordered', ordered: true, maxbatch: 4, backoff: '200ms', threshold: 1 }]);
    const events = await backlogOf(18);
    const failing = events[9]!;
    let failures = 0;
    hook.reply = (delivery) => (delivery.eventIds.includes(failing.id) && failures++ < 2 ? { status: 500, delayMs: 10 } : { status: 200, delayMs: 10 });
    await h.startWorker();
    await h.startWorker();
    await hook.until(() => hook.delivered.length >= events.length);
    await settle();
    expect(hook.maxInFlight).toBe(1);
    // Delivered exactly once each, in acceptance order.
    expect(hook.delivered).toStrictEqual(idsOf(events));
    // Batches of up to 4 in line; a 5xx fails the whole batch, which waits out its retries.
    const sent = hook.deliveries.map((d) => d.eventIds.map((id) => idsOf(events).indexOf(id)));
    expect(sent).toStrictEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
      [8, 9, 10, 11],
      [8, 9, 10, 11],
      [12, 13, 14, 15],
      [16, 17],
    ]);
    expect(await jobCounts('ordered')).toStrictEqual({ waiting: 0, active: 0, delayed: 0, completed: 18, failed: 0 });
  });

  it('on an ordered endpoint, delivers up to an event refused with a 4xx, completes those without sending them again, and waits out its backoff', async () => {
    const hook = await h.receiver('ordered-picky');
    h.configure([{ name: 'ordered-picky', ordered: true, maxbatch: 4, backoff: '300ms', threshold: 1 }]);
    const events = await backlogOf(8);
    const picky = events[2]!.id;
    let refusals = 0;
    hook.reply = (delivery) => (delivery.eventIds.includes(picky) && refusals++ < 3 ? { status: 422 } : { status: 200 });
    await h.startWorker();
    await hook.until(() => hook.delivered.length >= events.length);
    await settle();
    const sent = hook.deliveries.map((d) => d.eventIds.map((id) => idsOf(events).indexOf(id)));
    // Halves until event 2 is alone; 0 and 1 are delivered; 1 then completes at its turn without a POST.
    expect(sent).toStrictEqual([[0, 1, 2, 3], [0, 1], [2, 3], [2], [2, 3, 4, 5], [6, 7]]);
    expect(hook.delivered).toStrictEqual(idsOf(events));
    expect(hook.deliveries[4]!.receivedAt - hook.deliveries[3]!.receivedAt).toBeGreaterThanOrEqual(300);
    expect(await jobCounts('ordered-picky')).toStrictEqual({ waiting: 0, active: 0, delayed: 0, completed: 8, failed: 0 });
  });
});
