import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { deleteKeys } from '../helpers/redis-keys.js';
import { BENCH_MEDIA_TYPE, benchEvent, eventIds } from './bench-event.js';
import { startHeraldIngest, stopAll } from './herald-fleet.js';
import { concurrently, now } from './load-loop.js';
import { summarizeLatency, type LatencySummary } from './statistics.js';

/** What one ingest measurement saw. */
export interface IngestResult {
  /** Envelopes answered 202 per second. */
  envelopesPerS: number;
  /** Request latency, sent to 202. */
  latency: LatencySummary;
  /** Answers other than 202 (must be 0). */
  refused: number;
}

/** One POST with a keep-alive agent; resolves to the status code. */
function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': BENCH_MEDIA_TYPE, 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
      response.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

/**
 * Envelopes/s a `herald ingest` process accepts: `clients` keep-alive connections each
 * POSTing one-event envelopes (the way distribution sends them) and awaiting the 202,
 * which Herald answers only once Redis holds the envelope.
 */
export async function ingestRate(redisUrl: string, clients: number, envelopes: number): Promise<IngestResult> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const id = eventIds(randomUUID());
  const { process, url } = await startHeraldIngest({ redisUrl, prefix, concurrency: 10, endpoints: [] });
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  try {
    const body = (n: number) => JSON.stringify({ events: [benchEvent(id(n))] });
    // Warm up every connection and Fastify's route.
    await concurrently(clients, async () => (await post(agent, target, body(envelopes + Math.floor(Math.random() * 1e9))), false));
    let next = 0;
    let refused = 0;
    const latencies: number[] = [];
    const started = now();
    await concurrently(clients, async () => {
      if (next >= envelopes) return false;
      const sent = now();
      const status = await post(agent, target, body(next++));
      latencies.push(now() - sent);
      if (status !== 202) refused += 1;
      return true;
    });
    const seconds = (now() - started) / 1000;
    return { envelopesPerS: envelopes / seconds, latency: summarizeLatency(latencies), refused };
  } finally {
    agent.destroy();
    await stopAll([process]);
    await deleteKeys(redisUrl, prefix);
  }
}
