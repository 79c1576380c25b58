import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '@herald/config';
import { readRoutes } from '@herald/producer';
import { RedisServer } from '../../../test/helpers/redis-server.js';
import { RoutesPublisher } from '../src/routes-publisher.js';
import { LogCapture } from './worker-fixture.js';

const config = loadConfig({
  env: {
    HERALD_ENDPOINTS: JSON.stringify([
      { name: 'audit', url: 'http://127.0.0.1:9/', ignore: { actions: ['pull'] } },
      { name: 'off', url: 'http://127.0.0.1:9/', disabled: true },
    ]),
  },
});

describe('RoutesPublisher', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('publishes once Redis answers when it was unreachable at start, then puts the table back if Redis loses it', async () => {
    const server = await RedisServer.start();
    cleanup.push(() => server.destroy());
    await server.stop('SIGKILL');
    const capture = new LogCapture();
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    redis.on('error', () => {});
    cleanup.push(() => redis.disconnect());
    const publisher = new RoutesPublisher(redis, config.endpoints, { prefix: 'herald', checkIntervalMs: 100, logger: pino(capture) });
    cleanup.push(() => publisher.close());

    await publisher.start();
    expect(publisher.published).toBe(false);
    expect(capture.lines.map((line) => line['msg'])).toContain('routes not published yet, redis unreachable; retrying');

    await server.restart();
    const admin = new Redis(server.url);
    cleanup.push(() => admin.disconnect());
    const deadline = Date.now() + 10_000;
    while ((await readRoutes(admin, 'herald')) === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(publisher.published).toBe(true);
    expect((await readRoutes(admin, 'herald'))?.routes).toStrictEqual([{ name: 'audit', ignore: { mediaTypes: [], actions: ['pull'] } }]);

    await admin.flushall();
    while ((await readRoutes(admin, 'herald')) === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await readRoutes(admin, 'herald'))?.routes.map((route) => route.name)).toStrictEqual(['audit']);
    expect(capture.lines.map((line) => line['msg'])).toContain('routes were missing from redis, published again');
  });
});
