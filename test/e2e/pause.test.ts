import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '@herald/producer';
import { heraldEnv, HeraldProcess, runHerald } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * herald pause / resume against real workers: paused fleet-wide and across a restart,
 * nothing lost meanwhile, lag and the paused state in status and /metrics; an endpoint
 * answering 410 Gone pauses itself.
 */

const prefix = testPrefix();
let hooks: WebhookReceiver;
let gone: WebhookReceiver;
let producer: Producer;
let env: Record<string, string>;
let workers: HeraldProcess[] = [];

const herald = (args: string[]) => runHerald(args, env);

interface Status {
  name: string;
  pending: number;
  paused: boolean;
  oldestPendingMs?: number;
}

async function status(name: string): Promise<Status> {
  const { stdout } = await herald(['status', '--json']);
  return (JSON.parse(stdout) as Status[]).find((entry) => entry.name === name)!;
}

async function startWorker(): Promise<HeraldProcess> {
  const worker = new HeraldProcess(['worker'], env);
  await worker.waitFor('worker: delivering to hooks, gone');
  workers.push(worker);
  return worker;
}

async function metric(worker: HeraldProcess, line: RegExp): Promise<string | undefined> {
  const base = /health: (http:\/\/[^/]+)\/healthz/.exec(worker.output.join(''))![1]!;
  const text = await (await fetch(`${base}/metrics`)).text();
  return text.split('\n').find((candidate) => line.test(candidate));
}

let sequence = 0;
function event() {
  sequence += 1;
  return { id: `pause-${sequence}`, timestamp: new Date().toISOString(), action: 'push', target: { repository: 'team/app', tag: `v${sequence}` } };
}

beforeAll(async () => {
  [hooks, gone] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
  env = heraldEnv(REDIS_URL, prefix, {
    HERALD_ENDPOINTS: JSON.stringify([
      { name: 'hooks', url: hooks.url, backoff: '200ms' },
      { name: 'gone', url: gone.url, backoff: '200ms' },
    ]),
  });
  producer = createProducer({ redis: REDIS_URL, prefix });
  await startWorker();
  await startWorker();
});

afterAll(async () => {
  await producer.close();
  await Promise.all(workers.map((worker) => worker.stop()));
  await Promise.all([hooks.close(), gone.close()]);
  await deleteKeys(REDIS_URL, prefix);
});

describe('herald pause and resume', () => {
  it('refuses an unknown endpoint or none, naming what to fix', async () => {
    expect(await herald(['pause'])).toMatchObject({ code: 2, stderr: expect.stringContaining('pause needs --endpoint NAME') });
    expect(await herald(['pause', '--endpoint', 'nope'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no endpoint named "nope" in the config (known: hooks, gone)') });
  });

  it('holds every event across the fleet and a worker restart, shows the lag, then delivers them all on resume', async () => {
    const paused = await herald(['pause', '--endpoint', 'hooks']);
    expect(paused).toMatchObject({ code: 0, stdout: 'hooks: paused fleet-wide; 0 pending, waiting for "herald resume --endpoint hooks"\n' });
    expect((await herald(['pause', '--endpoint', 'hooks'])).stdout).toContain('hooks: was already paused');

    const held = Array.from({ length: 20 }, event);
    for (const e of held) await producer.write(e);
    // The other endpoint takes them: the workers are running, and hooks waits.
    await gone.until(() => held.every((e) => gone.delivered.includes(e.id)));
    // A worker restarted meanwhile keeps the pause: it is in Redis, not in a process.
    await workers.shift()!.stop();
    await startWorker();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hooks.deliveries).toStrictEqual([]);

    const before = await status('hooks');
    expect(before).toMatchObject({ pending: 20, paused: true });
    expect(before.oldestPendingMs).toBeGreaterThanOrEqual(1500);
    const table = (await herald(['status'])).stdout;
    expect(table).toMatch(/^hooks \(paused\)\s+1\s+20\s+\d+s\s+0 /m);
    expect(await metric(workers[0]!, /^herald_endpoint_paused\{endpoint="hooks"\}/)).toBe('herald_endpoint_paused{endpoint="hooks"} 1');
    const lag = await metric(workers[0]!, /^herald_endpoint_oldest_pending_seconds\{endpoint="hooks"\}/);
    expect(Number(lag!.split(' ')[1])).toBeGreaterThanOrEqual(1.5);

    expect(await herald(['resume', '--endpoint', 'hooks'])).toMatchObject({ code: 0, stdout: 'hooks: resumed; 20 pending, delivered from now on\n' });
    await hooks.until(() => held.every((e) => hooks.delivered.includes(e.id)));
    expect(new Set(hooks.delivered)).toStrictEqual(new Set(held.map((e) => e.id)));
    const after = await status('hooks');
    expect(after).toMatchObject({ pending: 0, paused: false });
    expect(after.oldestPendingMs).toBeUndefined();
    expect(await metric(workers[0]!, /^herald_endpoint_oldest_pending_seconds\{endpoint="hooks"\}/)).toBe('herald_endpoint_oldest_pending_seconds{endpoint="hooks"} 0');
    expect((await herald(['resume', '--endpoint', 'hooks'])).stdout).toBe('hooks: was not paused; 0 pending\n');
  });

  it('pauses an endpoint that answers 410 Gone, keeps its events, and delivers them after resume', async () => {
    gone.reply = () => ({ status: 410 });
    const first = event();
    await producer.write(first);
    await gone.until(() => gone.deliveries.some((d) => d.eventIds.includes(first.id)));
    const deadline = Date.now() + 10_000;
    while (!(await status('gone')).paused && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await status('gone')).paused).toBe(true);
    const log = workers.flatMap((worker) => worker.output.join('').split('\n')).filter((line) => line.includes('endpoint answered 410 Gone'));
    expect(log).toHaveLength(1);
    expect(JSON.parse(log[0]!)).toMatchObject({ level: 50, endpoint: 'gone', status: 410, resume: 'herald resume --endpoint gone' });
    const counted = await Promise.all(workers.map((worker) => metric(worker, /^herald_endpoint_auto_pauses_total\{endpoint="gone"\}/)));
    expect(counted.map((line) => Number(line?.split(' ')[1] ?? 0)).reduce((a, b) => a + b)).toBe(1);

    const later = [event(), event()];
    for (const e of later) await producer.write(e);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const attemptsWhilePaused = gone.deliveries.length;
    expect(gone.deliveries.filter((d) => later.some((e) => d.eventIds.includes(e.id)))).toStrictEqual([]);
    expect((await status('gone')).pending).toBe(3);

    gone.reply = () => ({ status: 200 });
    await herald(['resume', '--endpoint', 'gone']);
    await gone.until(() => [first, ...later].every((e) => gone.delivered.includes(e.id)));
    expect(attemptsWhilePaused).toBeGreaterThanOrEqual(1);
    expect((await status('gone')).pending).toBe(0);
  });
});
