import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProducer } from '@herald/producer';
import type { Event } from '@herald/events';
import { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function event(n: number): Event {
  return {
    id: `crash-${n}`,
    timestamp: new Date().toISOString(),
    action: n % 4 === 0 ? 'pull' : 'push',
    target: { repository: 'demo/app', mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:aa', size: 1 },
  };
}

describe('guarantee 1: at-least-once through worker crashes', () => {
  it('delivers every event to every endpoint although a worker is SIGKILLed mid-delivery', async () => {
    const prefix = testPrefix();
    const receivers = await Promise.all([0, 1, 2].map(() => WebhookReceiver.start()));
    for (const receiver of receivers) receiver.reply = () => ({ status: 200, delayMs: 3 });
    const config = join(dir, 'herald.yml');
    writeFileSync(
      config,
      [
        'redis:',
        `  url: ${REDIS_URL}`,
        `  prefix: ${prefix}`,
        'http:',
        '  port: 0',
        'worker:',
        '  concurrency: 8',
        '  lockDurationMs: 2000',
        'log:',
        '  level: warn',
        'endpoints:',
        `  - { name: all, url: "${receivers[0]!.url}", timeout: 1s, backoff: 100ms }`,
        `  - { name: no-pulls, url: "${receivers[1]!.url}", timeout: 1s, backoff: 100ms, ignore: { actions: [pull] } }`,
        `  - { name: also-all, url: "${receivers[2]!.url}", timeout: 1s, backoff: 100ms }`,
        '',
      ].join('\n'),
    );
    const start = () => new HeraldProcess(['worker', '--config', config]);
    const steady = start();
    let victim = start();
    const producer = createProducer({ redis: REDIS_URL, prefix });
    try {
      await Promise.all([steady.waitFor('worker: delivering to'), victim.waitFor('worker: delivering to')]);
      const events = Array.from({ length: 2000 }, (_, n) => event(n));
      const writing = (async () => {
        for (let n = 0; n < events.length; n += 4) await producer.write(...events.slice(n, n + 4));
      })();
      let kills = 0;
      for (const threshold of [400, 1000]) {
        await receivers[0]!.until(() => receivers[0]!.delivered.length >= threshold, 60_000);
        await victim.stop('SIGKILL');
        kills += 1;
        victim = start();
        await victim.waitFor('worker: delivering to');
      }
      await writing;
      const expected = [events.map((e) => e.id), events.filter((e) => e.action !== 'pull').map((e) => e.id), events.map((e) => e.id)];
      for (const [index, receiver] of receivers.entries()) {
        await receiver.until(() => new Set(receiver.delivered).size >= expected[index]!.length, 90_000);
      }
      const duplicates = receivers.map((receiver) => receiver.delivered.length - new Set(receiver.delivered).size);
      console.log(`worker crash: 2000 events, ${kills} SIGKILLs, delivered to 3 endpoints; lost 0; duplicates ${duplicates.join(', ')}`);
      for (const [index, receiver] of receivers.entries()) {
        expect(new Set(receiver.delivered)).toStrictEqual(new Set(expected[index]));
      }
      expect(kills).toBe(2);
    } finally {
      await producer.close();
      await Promise.all([steady.stop(), victim.stop()]);
      await Promise.all(receivers.map((receiver) => receiver.close()));
      await deleteKeys(REDIS_URL, prefix);
    }
  }, 180_000);

  it('exits 0 on SIGTERM after finishing deliveries in flight', async () => {
    const prefix = testPrefix();
    const receiver = await WebhookReceiver.start();
    receiver.reply = () => ({ status: 200, delayMs: 800 });
    const env = {
      HERALD_REDIS_URL: REDIS_URL,
      HERALD_REDIS_PREFIX: prefix,
      HERALD_LOG_LEVEL: 'info',
      HERALD_HTTP_PORT: '0',
      HERALD_ENDPOINTS: JSON.stringify([{ name: 'slow', url: receiver.url }]),
    };
    const worker = new HeraldProcess(['worker'], env);
    const producer = createProducer({ redis: REDIS_URL, prefix });
    try {
      await worker.waitFor('worker: delivering to slow');
      await producer.write(event(1), event(2));
      await receiver.until(() => receiver.inFlight === 1);
      const exit = await worker.stop('SIGTERM');
      expect(exit).toStrictEqual({ code: 0, signal: null });
      expect(receiver.delivered).toStrictEqual(['crash-1', 'crash-2']);
      const lines = worker.output.join('').split('\n').filter((line) => line.startsWith('{'));
      const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).toContain('herald started');
      expect(messages).toContain('stopping after work in flight');
      expect(messages.at(-1)).toBe('herald stopped');
    } finally {
      await producer.close();
      await worker.stop('SIGKILL');
      await receiver.close();
      await deleteKeys(REDIS_URL, prefix);
    }
  }, 60_000);
});
