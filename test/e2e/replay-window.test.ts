import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '@herald/producer';
import { heraldEnv, HeraldProcess, runHerald } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * herald replay --since: a receiver restored from a backup gets a window of what was
 * delivered sent again, in acceptance order, filtered, marked as replays.
 */

const prefix = testPrefix();
let receiver: WebhookReceiver;
let producer: Producer;
let worker: HeraldProcess;
let env: Record<string, string>;
const herald = (args: string[]) => runHerald(args, env);

const event = (n: number, action: string, repository: string) => ({
  id: `window-${n}`,
  timestamp: new Date().toISOString(),
  action,
  target: { repository, tag: `v${n}` },
});
const early = [event(1, 'push', 'team/app'), event(2, 'pull', 'team/app'), event(3, 'push', 'team/api')];
const late = [event(4, 'push', 'team/app'), event(5, 'push', 'other/app'), event(6, 'delete', 'team/app'), event(7, 'push', 'team/app')];
let between: string;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  env = heraldEnv(REDIS_URL, prefix, {
    HERALD_ENDPOINTS: JSON.stringify([{ name: 'restored', url: receiver.url, concurrency: 1 }]),
  });
  worker = new HeraldProcess(['worker'], env);
  await worker.waitFor('worker: delivering to restored');
  producer = createProducer({ redis: REDIS_URL, prefix });
  for (const e of early) await producer.write(e);
  await receiver.until(() => receiver.delivered.length === early.length);
  await new Promise((resolve) => setTimeout(resolve, 20));
  between = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (const e of late) await producer.write(e);
  await receiver.until(() => receiver.delivered.length === early.length + late.length);
});

afterAll(async () => {
  await producer?.close();
  await worker?.stop();
  await receiver?.close();
  await deleteKeys(REDIS_URL, prefix);
});

describe('herald replay --since', () => {
  it('counts a window without changing anything on --dry-run', async () => {
    const before = receiver.deliveries.length;
    const { code, stdout } = await herald(['replay', '--endpoint', 'restored', '--since', '1h', '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^restored: 7 deliveries \(7 events\), accepted \S+ to \S+ would be replayed$/m);
    expect(stdout).toMatch(/^would replay 7 in all, from \S+ to \S+$/m);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.deliveries.length).toBe(before);
  });

  it('sends the matching events of the window again, marked as replays', async () => {
    const before = receiver.deliveries.length;
    const { code, stdout } = await herald(['replay', '--endpoint', 'restored', '--since', between, '--action', 'push', '--repository', 'team/*']);
    expect(code).toBe(0);
    expect(stdout).toContain('restored: 2 deliveries (2 events)');
    await receiver.until(() => receiver.deliveries.length === before + 2);
    const replays = receiver.deliveries.slice(before);
    // Queued in acceptance order, but the endpoint is not ordered: two deliveries may cross.
    expect(replays.map((d) => d.eventIds[0]).sort()).toStrictEqual(['window-4', 'window-7']);
    expect(replays.map((d) => d.headers['herald-replay'])).toStrictEqual(['true', 'true']);
    // The originals carried no such header.
    expect(receiver.deliveries.slice(0, 7).every((d) => d.headers['herald-replay'] === undefined)).toBe(true);
  });

  it('bounds the window with --until', async () => {
    const before = receiver.deliveries.length;
    const { stdout } = await herald(['replay', '--endpoint', 'restored', '--since', '1h', '--until', between]);
    expect(stdout).toContain('restored: 3 deliveries (3 events)');
    await receiver.until(() => receiver.deliveries.length === before + 3);
    expect(receiver.deliveries.slice(before).map((d) => d.eventIds[0]).sort()).toStrictEqual(early.map((e) => e.id).sort());
  });

  it('refuses a window it cannot read, naming the option', async () => {
    expect(await herald(['replay', '--since', '1h'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--since needs --endpoint NAME') });
    expect(await herald(['replay', '--endpoint', 'restored', '--since', 'yesterday'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--since "yesterday" is neither a duration') });
    expect(await herald(['replay', '--endpoint', 'restored', '--action', 'push'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--action needs --since') });
    expect(await herald(['replay', '--endpoint', 'restored', '--since', '1h', '--state', 'done'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--state must be delivered, failed or all') });
  });
});
