import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from '@herald/producer';
import { heraldEnv, HeraldProcess, runHerald } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const prefix = testPrefix();
let receiver: WebhookReceiver;
let worker: HeraldProcess;
let env: Record<string, string>;

const herald = (args: string[]) => runHerald(args, env);

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  receiver.reply = () => ({ status: 500 });
  env = heraldEnv(REDIS_URL, prefix, {
    HERALD_LOG_LEVEL: 'warn',
    HERALD_ENDPOINTS: JSON.stringify([
      { name: 'flaky', url: receiver.url, backoff: '200ms', maxage: '1s' },
      { name: 'closed', url: 'http://127.0.0.1:9/hook', disabled: true },
    ]),
  });
  worker = new HeraldProcess(['worker'], env);
  await worker.waitFor('worker: delivering to flaky');
});

afterAll(async () => {
  await worker.stop();
  await receiver.close();
  await deleteKeys(REDIS_URL, prefix);
});

describe('herald status, replay and ping', () => {
  it('shows a delivery given up after maxage, replays it, and it is delivered', async () => {
    const producer = createProducer({ redis: REDIS_URL, prefix });
    await producer.write({ id: 'replay-1', timestamp: new Date().toISOString(), action: 'push', target: { repository: 'demo/app' } });
    await producer.close();
    const deadline = Date.now() + 15_000;
    let status = await herald(['status', '--json']);
    while (!status.stdout.includes('"failed": 1') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await herald(['status', '--json']);
    }
    const flaky = (JSON.parse(status.stdout) as { name: string; failed: number; pending: number }[]).find((entry) => entry.name === 'flaky');
    expect(flaky).toMatchObject({ failed: 1, pending: 0 });
    const table = await herald(['status']);
    expect(table.code).toBe(0);
    // endpoint, maxbatch, pending, failed, events, requests, successes, failures, errors, statuses
    expect(table.stdout).toMatch(/^flaky\s+1\s+0\s+-\s+1\s+(\d+)\s+\1\s+0\s+\1\s+0\s+500:\1$/m);
    // The worker published its routes: the enabled endpoint, not the disabled one.
    expect(table.stdout).toMatch(/^routes [\w-]{16}: flaky$/m);

    expect(await herald(['replay', '--dry-run'])).toMatchObject({ code: 0, stdout: expect.stringContaining('flaky: 1 failed would be replayed') });
    receiver.reply = () => ({ status: 200 });
    const replayed = await herald(['replay', '--endpoint', 'flaky']);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toContain('flaky: 1 failed replayed');
    expect(replayed.stdout).toContain('replayed 1 in all');
    await receiver.until(() => receiver.delivered.includes('replay-1'));
    expect((await herald(['replay', '--dry-run'])).stdout).toContain('would replay 0 in all');
  });

  it('refuses to replay an endpoint that is not in the config', async () => {
    const result = await herald(['replay', '--endpoint', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no endpoint named "nope"');
  });

  it('pings an endpoint and says whether it took the test event', async () => {
    receiver.reply = () => ({ status: 204 });
    const ok = await herald(['ping', 'flaky']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^flaky: delivered \(204 in \d+ ms\)\n$/);
    const refused = await herald(['ping', 'closed']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^closed: not delivered \(.*connection failed.*\)\n$/);
    expect((await herald(['ping'])).code).toBe(2);
  });
});
