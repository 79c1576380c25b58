import { Agent } from 'node:http';
import got from 'got';
import { Redis } from 'ioredis';
import { BENCH_MEDIA_TYPE, benchEvent } from './bench-event.js';
import { concurrently, now } from './load-loop.js';

/**
 * Baseline (b), the HTTP client's limit: `concurrency` loops per endpoint, each POSTing a
 * one-event envelope with got (keep-alive, one pool of `concurrency` sockets per endpoint,
 * as Herald's HttpSink) and awaiting the 2xx, until `requests` are answered. Nothing is
 * read from or written to Redis. Returns requests/s.
 */
export async function gotPostRate(endpoints: readonly string[], concurrency: number, requests: number): Promise<number> {
  const targets = endpoints.map((url) => ({ url, agent: new Agent({ keepAlive: true, maxSockets: concurrency }) }));
  const body = JSON.stringify({ events: [benchEvent('00000000-0000-0000-0000-000000000000')] });
  const postOnce = (target: (typeof targets)[number]) =>
    got.post(target.url, { body, headers: { 'content-type': BENCH_MEDIA_TYPE }, agent: { http: target.agent }, retry: { limit: 0 }, timeout: { request: 5000 } });
  try {
    let next = 0;
    const loops = (count: number) =>
      concurrently(concurrency * targets.length, async () => {
        if (next >= count) return false;
        const target = targets[next++ % targets.length]!;
        await postOnce(target);
        return true;
      });
    await loops(Math.min(500, requests));
    next = 0;
    const started = now();
    await loops(requests);
    return (requests * 1000) / (now() - started);
  } finally {
    for (const target of targets) target.agent.destroy();
  }
}

/** Baseline (c), Redis's limit, as round trips/s and commands/s. */
export interface RedisRoundTrips {
  /** One PING at a time, each awaited: the round-trip limit a lone writer lives under. */
  serialPerS: number;
  /** PINGs in pipelines of `batch`: commands/s when round trips are shared. */
  pipelinedPerS: number;
  /** SETs of a ~1 KB value in pipelines of `batch`: what carrying the payload costs. */
  pipelinedSet1KbPerS: number;
  batch: number;
}

/** Measures raw Redis round trips with ioredis, the client BullMQ uses. */
export async function redisRoundTrips(url: string, commands: number, batch = 100): Promise<RedisRoundTrips> {
  const redis = new Redis(url);
  const value = JSON.stringify({ events: [benchEvent('00000000-0000-0000-0000-000000000000')] });
  const key = `bench-roundtrips-${process.pid}`;
  try {
    for (let n = 0; n < 500; n += 1) await redis.ping();
    const started = now();
    for (let n = 0; n < commands; n += 1) await redis.ping();
    const serialPerS = (commands * 1000) / (now() - started);
    const pipelined = async (add: (pipeline: ReturnType<Redis['pipeline']>, n: number) => void) => {
      const begun = now();
      for (let sent = 0; sent < commands * 5; sent += batch) {
        const pipeline = redis.pipeline();
        for (let n = 0; n < batch; n += 1) add(pipeline, sent + n);
        await pipeline.exec();
      }
      return (commands * 5 * 1000) / (now() - begun);
    };
    const pipelinedPerS = await pipelined((pipeline) => pipeline.ping());
    const pipelinedSet1KbPerS = await pipelined((pipeline, n) => pipeline.set(`${key}:${n % 1000}`, value));
    return { serialPerS, pipelinedPerS, pipelinedSet1KbPerS, batch };
  } finally {
    const keys = await redis.keys(`${key}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}
