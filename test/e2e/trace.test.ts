import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '@herald/producer';
import { heraldEnv, HeraldProcess, runHerald } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/** herald trace against a real worker: a delivered, a retrying, a filtered and an unknown event. */

const prefix = testPrefix();
let ok: WebhookReceiver;
let flaky: WebhookReceiver;
let producer: Producer;
let worker: HeraldProcess;
let env: Record<string, string>;

const herald = (args: string[]) => runHerald(args, env);

const push = { id: 'trace-push-1', timestamp: '2026-12-02T10:00:00Z', action: 'push', target: { repository: 'team/app', tag: 'v42' }, source: { addr: 'registry-0:5000' } };
const pull = { id: 'trace-pull-1', timestamp: '2026-12-02T10:00:01Z', action: 'pull', target: { repository: 'team/app', tag: 'v42' } };

beforeAll(async () => {
  [ok, flaky] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
  flaky.reply = () => ({ status: 503 });
  env = heraldEnv(REDIS_URL, prefix, {
    HERALD_ENDPOINTS: JSON.stringify([
      { name: 'ok', url: ok.url },
      { name: 'flaky', url: flaky.url, backoff: '30s', threshold: 1 },
      { name: 'no-pulls', url: ok.url, ignore: { actions: ['pull'] } },
    ]),
  });
  worker = new HeraldProcess(['worker'], env);
  await worker.waitFor('worker: delivering to ok, flaky, no-pulls');
  producer = createProducer({ redis: REDIS_URL, prefix });
  await producer.write(push);
  await producer.write(pull);
  await ok.until(() => [push.id, pull.id].every((id) => ok.delivered.includes(id)) && ok.delivered.length === 3);
  await flaky.until(() => flaky.deliveries.length >= 2);
});

afterAll(async () => {
  await producer?.close();
  await worker?.stop();
  await Promise.all([ok?.close(), flaky?.close()]);
  await deleteKeys(REDIS_URL, prefix);
});

interface Trace {
  eventId: string;
  acceptedAt?: string;
  event?: { action: string };
  endpoints: { endpoint: string; state: string; attempts?: number; nextAttemptAt?: string; lastError?: string; filteredBy?: string; log?: string[] }[];
}

describe('herald trace', () => {
  it('says, per endpoint, that a push was delivered to one and is retrying at another, with its attempts', async () => {
    const { code, stdout } = await herald(['trace', push.id, '--json']);
    expect(code).toBe(0);
    const trace = JSON.parse(stdout) as Trace;
    expect(trace.event?.action).toBe('push');
    expect(Date.now() - Date.parse(trace.acceptedAt!)).toBeLessThan(60_000);
    const [delivered, retrying, pushes] = trace.endpoints;
    expect(delivered).toMatchObject({ endpoint: 'ok', state: 'delivered', attempts: 1, log: [] });
    expect(retrying).toMatchObject({ endpoint: 'flaky', state: 'retrying', attempts: 1, lastError: expect.stringContaining('endpoint "flaky" answered 503') });
    expect(Date.parse(retrying!.nextAttemptAt!) - Date.now()).toBeGreaterThan(20_000);
    expect(retrying!.log).toStrictEqual([expect.stringMatching(/ attempt 1 failed after \d+ms: endpoint "flaky" answered 503; next attempt in [\d.]+s$/)]);
    expect(pushes).toMatchObject({ endpoint: 'no-pulls', state: 'delivered' });

    const text = await herald(['trace', push.id]);
    expect(text.stdout).toMatch(/^event trace-push-1: push team\/app:v42 \(from registry-0:5000\)\naccepted \S+ \(\d+s ago\); delivery id [\w-]{22}\n/);
    expect(text.stdout).toMatch(/^ {2}ok {8}delivered after 1 attempt, at \S+$/m);
    expect(text.stdout).toMatch(/^ {2}flaky {5}retrying after 1 attempt, last at \S+, next in \d+s: delivery to flaky failed, retrying in \d+ms: endpoint "flaky" answered 503$/m);
    expect(text.stdout).toMatch(/^flaky: last failed attempts\n {2}\S+ attempt 1 failed/m);
  });

  it('says which rule filtered a pull out of an endpoint', async () => {
    const trace = JSON.parse((await herald(['trace', pull.id, '--json'])).stdout) as Trace;
    expect(trace.endpoints.map(({ endpoint, state, filteredBy }) => ({ endpoint, state, filteredBy }))).toStrictEqual([
      { endpoint: 'ok', state: 'delivered', filteredBy: undefined },
      { endpoint: 'flaky', state: 'retrying', filteredBy: undefined },
      { endpoint: 'no-pulls', state: 'filtered', filteredBy: 'ignore.actions: pull' },
    ]);
    expect((await herald(['trace', pull.id])).stdout).toMatch(/^ {2}no-pulls {2}filtered \(ignore\.actions: pull\)$/m);
  });

  it('says plainly when no queue holds the event, and what that can mean', async () => {
    const { code, stdout } = await herald(['trace', 'never-sent']);
    expect(code).toBe(0);
    expect(stdout).toContain('event never-sent: not in Redis (no queue holds it)');
    expect(stdout).toMatch(/^ {2}ok {8}not found$/m);
    expect(stdout).toContain('not found: no delivery in its queue: delivered before the history kept (worker.history, worker.historyLimit)');
  });

  it('needs an event id', async () => {
    expect(await herald(['trace'])).toMatchObject({ code: 2, stderr: expect.stringContaining('trace needs an event id') });
  });
});
