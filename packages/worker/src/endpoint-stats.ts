import { STATUS_CODES } from 'node:http';
import type { Event } from '@herald/events';
import type { Cluster, Redis } from 'ioredis';

/** One endpoint's counters, in the shape of distribution's expvar `Metrics`, counting events. */
export interface EndpointCounters {
  /** Events handed to the endpoint, counting each attempt. */
  Events: number;
  /** POST requests sent, counting each attempt; `Events / Requests` is the batching factor (`maxbatch`). */
  Requests: number;
  /** Events delivered (2xx). */
  Successes: number;
  /** Events answered with a non-2xx status. */
  Failures: number;
  /** Events that got no answer: timeout, refused, reset, TLS. */
  Errors: number;
  /** Events given up after `maxage`; they wait in the failed set for replay. */
  Expired: number;
  /** Responses by status line, `"200 OK": 3`. */
  Statuses: Record<string, number>;
}

const FIELDS = ['Events', 'Requests', 'Successes', 'Failures', 'Errors', 'Expired'] as const;
const STATUS_FIELD = 'status:';

/** The Redis hash holding an endpoint's counters; every process adds to the same one. */
export function statsKey(prefix: string, endpoint: string): string {
  return `${prefix}:stats:${encodeURIComponent(endpoint)}`;
}

/** Options of EndpointStats. */
export interface EndpointStatsOptions {
  /** Prefix of Herald's Redis keys. */
  prefix: string;
  /** How often counts are added to Redis, in ms. @defaultValue 1000 */
  flushIntervalMs?: number;
}

/**
 * EndpointStats counts delivery outcomes per endpoint, as distribution's `safeMetrics`
 * did, and adds them to Redis hashes every second, so any process reports the fleet's
 * numbers. Sinks report to it through their listener interfaces; they never import it.
 * A process killed between flushes loses at most that second of counts, never events.
 */
export class EndpointStats {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #pending = new Map<string, Map<string, number>>();
  readonly #timer: NodeJS.Timeout;

  constructor(redis: Redis | Cluster, options: EndpointStatsOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#timer = setInterval(() => void this.flush().catch(() => {}), options.flushIntervalMs ?? 1000);
    this.#timer.unref();
  }

  onSuccess(endpoint: string, events: readonly Event[], status: number): void {
    this.#add(endpoint, 'Successes', events.length, status);
  }

  onFailure(endpoint: string, events: readonly Event[], status: number): void {
    this.#add(endpoint, 'Failures', events.length, status);
  }

  onError(endpoint: string, events: readonly Event[]): void {
    this.#add(endpoint, 'Errors', events.length);
  }

  onExpired(endpoint: string, events: readonly Event[]): void {
    this.#bump(endpoint, 'Expired', events.length);
  }

  /** Adds the counts gathered since the last flush to Redis. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending];
    this.#pending.clear();
    // One command per counter, sent together; not a pipeline, which a Redis Cluster refuses
    // across endpoints (their keys sit in different slots).
    const adds = batch.flatMap(([endpoint, fields]) => [...fields].map(([field, delta]) => this.#redis.hincrby(statsKey(this.#prefix, endpoint), field, delta)));
    const results = await Promise.allSettled(adds);
    if (results.some((result) => result.status === 'rejected')) throw new Error('could not add delivery counts to Redis');
  }

  /** Flushes what is left and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush().catch(() => {});
  }

  #add(endpoint: string, outcome: 'Successes' | 'Failures' | 'Errors', count: number, status?: number): void {
    this.#bump(endpoint, 'Events', count);
    this.#bump(endpoint, 'Requests', 1);
    this.#bump(endpoint, outcome, count);
    if (status !== undefined) this.#bump(endpoint, `${STATUS_FIELD}${status} ${STATUS_CODES[status] ?? ''}`.trim(), count);
  }

  #bump(endpoint: string, field: string, count: number): void {
    let fields = this.#pending.get(endpoint);
    if (fields === undefined) this.#pending.set(endpoint, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + count);
  }
}

/** Reads the fleet's counters of each endpoint from Redis. */
export async function readEndpointCounters(redis: Redis | Cluster, prefix: string, endpoints: readonly string[]): Promise<Record<string, EndpointCounters>> {
  const entries = await Promise.all(
    endpoints.map(async (endpoint) => {
      const hash = await redis.hgetall(statsKey(prefix, endpoint));
      const counters: EndpointCounters = { Events: 0, Requests: 0, Successes: 0, Failures: 0, Errors: 0, Expired: 0, Statuses: {} };
      for (const [field, value] of Object.entries(hash)) {
        if (field.startsWith(STATUS_FIELD)) counters.Statuses[field.slice(STATUS_FIELD.length)] = Number(value);
        else if ((FIELDS as readonly string[]).includes(field)) counters[field as (typeof FIELDS)[number]] = Number(value);
      }
      return [endpoint, counters] as const;
    }),
  );
  return Object.fromEntries(entries);
}
