import { Queue } from 'bullmq';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { loadConfig, type HeraldConfig } from '@herald/config';
import type { Event } from '@herald/events';
import { createProducer, type Producer } from '@herald/producer';
import { deleteKeys, REDIS_URL, testPrefix } from '../../../test/helpers/redis-keys.js';
import { WebhookReceiver } from '../../../test/helpers/webhook-receiver.js';
import { endpointQueueName } from '@herald/producer';
import { startWorker, type RunningWorker } from '../src/worker.js';

/** A log stream the test can read: every line pino writes, parsed. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly text: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      this.text.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }
}

let counter = 0;
/** An event with a unique id; `action` and `mediaType` for filter tests. */
export function event(action = 'push', mediaType: string | undefined = 'application/vnd.oci.image.manifest.v1+json'): Event {
  counter += 1;
  return {
    id: `ev-${process.pid}-${counter}`,
    timestamp: new Date().toISOString(),
    action,
    target: { repository: 'demo/app', ...(mediaType === undefined ? {} : { mediaType }), digest: 'sha256:aa', size: 1, length: 1 },
    request: { id: 'r', addr: '127.0.0.1:1', host: 'registry', method: 'PUT', useragent: 'test' },
    actor: {},
  };
}

/**
 * One test's Herald: its own Redis prefix, receivers, a producer and any number of
 * workers started from a config built the way an operator writes one.
 */
export class Harness {
  readonly prefix = testPrefix();
  readonly log = new LogCapture();
  readonly logger: Logger = pino({ level: 'debug' }, this.log);
  readonly receivers = new Map<string, WebhookReceiver>();
  readonly workers: RunningWorker[] = [];
  producer!: Producer;
  config!: HeraldConfig;

  async receiver(name: string): Promise<WebhookReceiver> {
    const receiver = await WebhookReceiver.start();
    this.receivers.set(name, receiver);
    return receiver;
  }

  /** Loads a config with these endpoints (distribution's keys; `url` filled from the receiver of the same name). */
  configure(endpoints: Record<string, unknown>[], worker: Record<string, string> = {}): HeraldConfig {
    const withUrls = endpoints.map((endpoint) => ({ url: this.receivers.get(endpoint['name'] as string)?.url ?? 'http://127.0.0.1:9/', ...endpoint }));
    this.config = loadConfig({
      env: { HERALD_REDIS_URL: REDIS_URL, HERALD_REDIS_PREFIX: this.prefix, HERALD_ENDPOINTS: JSON.stringify(withUrls), ...worker },
    });
    this.producer ??= createProducer({ redis: REDIS_URL, prefix: this.prefix });
    return this.config;
  }

  async startWorker(lockDurationMs = 2000): Promise<RunningWorker> {
    const running = await startWorker({ config: this.config, logger: this.logger, lockDurationMs });
    this.workers.push(running);
    return running;
  }

  /** A queue handle for an endpoint, to look at its jobs. */
  queue(endpoint: string): Queue {
    return new Queue(endpointQueueName(endpoint), { connection: { url: REDIS_URL }, prefix: this.prefix });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
    await this.producer?.close();
    await Promise.all([...this.receivers.values()].map((receiver) => receiver.close()));
    await deleteKeys(REDIS_URL, this.prefix);
  }
}

export function sorted(ids: Iterable<string>): string[] {
  return [...ids].sort();
}

export function percentile(values: number[], p: number): number {
  const sortedValues = [...values].sort((a, b) => a - b);
  return sortedValues[Math.min(sortedValues.length - 1, Math.floor((p / 100) * sortedValues.length))] ?? 0;
}
