import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { readEndpointCounters } from '../src/endpoint-stats.js';
import { event, Harness, percentile, sorted } from './worker-fixture.js';
import { Redis } from 'ioredis';
import { deliveryEvents } from '@herald/producer';
import { REDIS_URL } from '../../../test/helpers/redis-keys.js';

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(async () => {
  await h.close();
});

describe('fan-out and delivery', () => {
  it('delivers every accepted event to every endpoint whose filter accepts it, once', async () => {
    const [all, noPulls, noLayers, disabled] = await Promise.all(['all', 'no-pulls', 'no-layers', 'disabled'].map((n) => h.receiver(n)));
    h.configure([
      { name: 'all' },
      { name: 'no-pulls', ignore: { actions: ['pull'] } },
      { name: 'no-layers', ignoredmediatypes: [LAYER] },
      { name: 'disabled', disabled: true },
    ]);
    await h.startWorker();
    const written = [];
    for (let n = 0; n < 100; n += 1) {
      const batch = [event(n % 3 === 0 ? 'pull' : 'push', n % 4 === 0 ? LAYER : undefined)];
      if (n % 10 === 0) batch.push(event('delete', undefined), event('pull', LAYER));
      await h.producer.write(...batch);
      written.push(...batch);
    }
    const expect_ = {
      all: written.map((e) => e.id),
      noPulls: written.filter((e) => e.action !== 'pull').map((e) => e.id),
      noLayers: written.filter((e) => e.target.mediaType !== LAYER).map((e) => e.id),
    };
    await all!.until(() => all!.delivered.length >= expect_.all.length);
    await noPulls!.until(() => noPulls!.delivered.length >= expect_.noPulls.length);
    await noLayers!.until(() => noLayers!.delivered.length >= expect_.noLayers.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sorted(all!.delivered)).toStrictEqual(sorted(expect_.all));
    expect(sorted(noPulls!.delivered)).toStrictEqual(sorted(expect_.noPulls));
    expect(sorted(noLayers!.delivered)).toStrictEqual(sorted(expect_.noLayers));
    expect(disabled!.deliveries).toStrictEqual([]);
    // The envelope is delivered as the registry shaped it, minus what the filter dropped.
    const mixed = all!.deliveries.find((d) => d.eventIds.length === 3)!;
    expect(mixed.headers['content-type']).toBe('application/vnd.docker.distribution.events.v1+json');
    expect(mixed.headers['user-agent']).toMatch(/^herald\/\d+\.\d+\.\d+$/);
  });

  it('retries with backoff, never early, and counts outcomes in Redis', async () => {
    const hook = await h.receiver('flaky');
    hook.reply = (_delivery, attempt) => (attempt <= 2 ? { status: 500 } : { status: 200 });
    h.configure([{ name: 'flaky', backoff: '300ms', threshold: 1, maxbackoff: '5s' }]);
    await h.startWorker();
    const e = event();
    await h.producer.write(e);
    await hook.until(() => hook.delivered.includes(e.id));
    const times = hook.deliveries.map((d) => d.receivedAt);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(300);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(600);
    const failed = h.log.lines.filter((line) => line['msg'] === 'delivery failed, retrying');
    expect(failed.map((line) => [line['endpoint'], line['status'], line['attempt']])).toStrictEqual([
      ['flaky', 500, 1],
      ['flaky', 500, 2],
    ]);
    expect(typeof failed[0]!['nextRetryAt']).toBe('string');
    // The delivery's own log holds each failed attempt, for the board and operators.
    const queue = h.queue('flaky');
    try {
      const [job] = await queue.getCompleted();
      const { logs } = await queue.getJobLogs(job!.id!);
      expect(logs).toHaveLength(2);
      expect(logs[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z attempt 1 failed after \d+ms: endpoint "flaky" answered 500.*; next attempt in \d+ms$/);
      expect(logs[1]).toMatch(/ attempt 2 failed after \d+ms: endpoint "flaky" answered 500.*; next attempt in \d+ms$/);
    } finally {
      await queue.close();
    }
    await h.workers[0]!.close();
    const redis = new Redis(REDIS_URL);
    try {
      const counters = await readEndpointCounters(redis, h.prefix, ['flaky']);
      expect(counters['flaky']).toStrictEqual({
        Events: 3,
        Requests: 3,
        Successes: 1,
        Failures: 2,
        Errors: 0,
        Expired: 0,
        Statuses: { '500 Internal Server Error': 2, '200 OK': 1 },
      });
    } finally {
      redis.disconnect();
    }
  });

  it('waits at least Retry-After before the next attempt after a 429', async () => {
    const hook = await h.receiver('limited');
    hook.reply = (_delivery, attempt) => (attempt === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 200 });
    h.configure([{ name: 'limited', backoff: '100ms' }]);
    await h.startWorker();
    const e = event();
    await h.producer.write(e);
    await hook.until(() => hook.delivered.includes(e.id), 10_000);
    const [first, second] = hook.deliveries.map((d) => d.receivedAt);
    expect(second! - first!).toBeGreaterThanOrEqual(2000);
  });

  it('gives up after maxage, keeps the job in the failed set and says so', async () => {
    const hook = await h.receiver('down');
    hook.reply = () => ({ status: 503 });
    h.configure([{ name: 'down', backoff: '200ms', maxage: '1s' }]);
    await h.startWorker();
    const e = event();
    await h.producer.write(e);
    const queue = h.queue('down');
    try {
      const deadline = Date.now() + 10_000;
      while ((await queue.getFailedCount()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const [failed] = await queue.getFailed();
      expect(deliveryEvents(failed!.data).map((x) => x.id)).toStrictEqual([e.id]);
      expect(failed?.failedReason).toContain('given up after maxage 1000ms');
      const givenUp = h.log.lines.filter((line) => line['msg'] === 'delivery given up after maxage, kept in the failed set for replay');
      expect(givenUp).toHaveLength(1);
      expect(givenUp[0]!['level']).toBe(50);
      const { logs, count } = await queue.getJobLogs(failed!.id!);
      expect(count).toBeGreaterThanOrEqual(2);
      expect(logs.slice(0, -1).every((row) => / failed after \d+ms: endpoint "down" answered 503.*; next attempt in \d+ms$/.test(row))).toBe(true);
      expect(logs.at(-1)).toMatch(/ attempt \d+ failed after \d+ms: endpoint "down" answered 503.*; given up: past maxage 1s, kept for herald replay$/);
    } finally {
      await queue.close();
    }
  });

  it('does not let a poison event hold back the others on an unordered endpoint', async () => {
    const hook = await h.receiver('picky');
    const poison = event();
    hook.reply = (delivery) => (delivery.eventIds.includes(poison.id) ? { status: 400 } : { status: 200 });
    h.configure([{ name: 'picky', backoff: '200ms' }]);
    await h.startWorker();
    const rest = Array.from({ length: 20 }, () => event());
    await h.producer.write(poison);
    for (const e of rest) await h.producer.write(e);
    await hook.until(() => rest.every((e) => hook.delivered.includes(e.id)));
    expect(hook.delivered).not.toContain(poison.id);
    expect(hook.deliveries.filter((d) => d.eventIds.includes(poison.id)).length).toBeGreaterThanOrEqual(1);
  });

  it('delivers an ordered endpoint in order, one at a time across two workers, holding back behind a failing event', async () => {
    const hook = await h.receiver('ordered');
    const events = Array.from({ length: 8 }, () => event());
    hook.reply = (delivery, attempt) => (delivery.eventIds[0] === events[2]!.id && attempt <= 3 ? { status: 500, delayMs: 20 } : { status: 200, delayMs: 20 });
    h.configure([{ name: 'ordered', ordered: true, backoff: '200ms', threshold: 1 }]);
    await h.startWorker();
    await h.startWorker();
    for (const e of events) await h.producer.write(e);
    await hook.until(() => hook.delivered.length >= events.length);
    expect(hook.delivered).toStrictEqual(events.map((e) => e.id));
    expect(hook.maxInFlight).toBe(1);
    const attempts = hook.deliveries.map((d) => d.eventIds[0]);
    // The first three attempts of the third event fail; nothing after it is tried meanwhile.
    expect(attempts).toStrictEqual([events[0]!.id, events[1]!.id, events[2]!.id, events[2]!.id, events[2]!.id, events[2]!.id, ...events.slice(3).map((e) => e.id)]);
  });

  it('signs each attempt: the official verifier accepts a first attempt and its retry', async () => {
    const hook = await h.receiver('signed');
    hook.reply = (_delivery, attempt) => (attempt === 1 ? { status: 500 } : { status: 200 });
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    h.configure([{ name: 'signed', secret, backoff: '1100ms' }]);
    await h.startWorker();
    const e = event();
    await h.producer.write(e);
    await hook.until(() => hook.delivered.includes(e.id));
    const verifier = new Webhook(secret);
    const [first, retry] = hook.deliveries;
    for (const delivery of [first!, retry!]) {
      const headers = {
        'webhook-id': String(delivery.headers['webhook-id']),
        'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
        'webhook-signature': String(delivery.headers['webhook-signature']),
      };
      expect(verifier.verify(delivery.body, headers)).toStrictEqual(JSON.parse(delivery.body));
    }
    expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(Number(retry!.headers['webhook-timestamp'])).toBeGreaterThan(Number(first!.headers['webhook-timestamp']));
  });

  it('keeps a healthy endpoint fast while another refuses connections, and catches the other up', async () => {
    const runs: number[][] = [];
    for (const withFaulty of [false, true]) {
      const healthy = await h.receiver(`healthy-${withFaulty}`);
      const endpoints: Record<string, unknown>[] = [{ name: `healthy-${withFaulty}`, backoff: '200ms' }];
      if (withFaulty) endpoints.push({ name: 'refusing', url: 'http://127.0.0.1:9/hook', timeout: '500ms' });
      h.configure(endpoints);
      const worker = await h.startWorker();
      const events = Array.from({ length: 200 }, () => event());
      const sentAt = new Map<string, number>();
      // A steady offered load (one event every 5 ms), so latency measures delivery, not our own burst.
      for (const e of events) {
        sentAt.set(e.id, Date.now());
        await h.producer.write(e);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await healthy.until(() => healthy.delivered.length >= events.length);
      runs.push(healthy.deliveries.map((d) => d.receivedAt - sentAt.get(d.eventIds[0]!)!));
      if (withFaulty) {
        // The refusing endpoint comes back: every event reaches it.
        const back = await h.receiver('refusing');
        const queue = h.queue('refusing');
        expect(await queue.getJobCountByTypes('waiting', 'delayed', 'active')).toBeGreaterThan(0);
        await worker.close();
        h.workers.length = 0;
        h.configure([{ name: 'refusing', url: back.url, backoff: '200ms', maxbackoff: '400ms' }]);
        await h.startWorker();
        await back.until(() => back.delivered.length >= events.length, 30_000);
        expect(sorted(new Set(back.delivered))).toStrictEqual(sorted(events.map((e) => e.id)));
        await queue.close();
      } else {
        await worker.close();
        h.workers.length = 0;
      }
    }
    const [alone, beside] = runs.map((latencies) => percentile(latencies!, 50));
    console.log(`healthy endpoint p50 latency: alone ${alone}ms, beside a refusing endpoint ${beside}ms`);
    // Within 2x, with 10 ms for timer granularity at these small figures.
    expect(beside).toBeLessThanOrEqual(2 * alone! + 10);
  });

  it('finishes deliveries in flight on close', async () => {
    const hook = await h.receiver('slow');
    hook.reply = () => ({ status: 200, delayMs: 500 });
    h.configure([{ name: 'slow' }]);
    const worker = await h.startWorker();
    const e = event();
    await h.producer.write(e);
    await hook.until(() => hook.inFlight === 1);
    await worker.close();
    expect(hook.delivered).toStrictEqual([e.id]);
    const queue = h.queue('slow');
    expect(await queue.getJobCounts('active', 'waiting', 'completed')).toMatchObject({ active: 0, waiting: 0, completed: 1 });
    await queue.close();
  });
});
