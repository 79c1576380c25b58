import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../test/helpers/redis-server.js';
import { adviseOnRedis } from '../src/redis-advice.js';
import { LogCapture } from './worker-fixture.js';

describe('advice on the Redis a worker starts against', () => {
  const servers: RedisServer[] = [];
  let defaults: RedisServer;
  let recommended: RedisServer;
  beforeAll(async () => {
    defaults = await RedisServer.start({ args: [] });
    recommended = await RedisServer.start({ args: ['--hash-max-listpack-value', '1024'] });
    servers.push(defaults, recommended);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.destroy()));
  });

  async function advice(server: RedisServer): Promise<{ value: number | undefined; lines: Record<string, unknown>[] }> {
    const capture = new LogCapture();
    const redis = new Redis(server.url);
    try {
      const value = await adviseOnRedis(redis, pino(capture));
      return { value, lines: capture.lines };
    } finally {
      redis.disconnect();
    }
  }

  it('warns once, naming the setting and the value to use, when Redis keeps its default', async () => {
    const { value, lines } = await advice(defaults);
    expect(value).toBe(64);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, hashMaxListpackValue: 64, recommended: 1024 });
    expect(lines[0]!['msg']).toContain('set hash-max-listpack-value 1024');
  });

  it('says nothing when Redis is set as recommended', async () => {
    expect(await advice(recommended)).toStrictEqual({ value: 1024, lines: [] });
  });
});
