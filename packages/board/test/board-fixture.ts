import { Queue, Worker } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { loadConfig, type EndpointConfig } from '@herald/config';
import { deleteKeys, REDIS_URL, testPrefix } from '../../../test/helpers/redis-keys.js';
import { registerBoard, type Board, type BoardOptions } from '../src/index.js';

export const USER = 'ops';
export const PASSWORD = 'c0rrect-h0rse-battery-staple';

/** `Authorization: Basic …` for a user and password. */
export function basic(username: string, password: string): { authorization: string } {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}` };
}

/** Every line pino writes, as text. */
export class LogCapture extends Writable {
  readonly text: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

/** Endpoints as an operator configures them: `audit`, and `archive`, disabled. */
export function endpoints(): readonly EndpointConfig[] {
  const list = [
    { name: 'audit', url: 'http://127.0.0.1:9/hook' },
    { name: 'archive', url: 'http://127.0.0.1:9/hook', disabled: true },
  ];
  return loadConfig({ env: { HERALD_ENDPOINTS: JSON.stringify(list) } }).endpoints;
}

/**
 * One test's board: its own Redis prefix, a fastify instance with the board mounted and
 * queue handles to put jobs in place. `close()` closes everything and deletes the keys.
 */
export class BoardHarness {
  readonly prefix = testPrefix();
  readonly apps: FastifyInstance[] = [];
  readonly #queues: Queue[] = [];

  /** A fastify instance (`logger: false`, or logging to `loggerInstance`) with a board mounted. */
  async start(options: Partial<BoardOptions> = {}, loggerInstance?: FastifyBaseLogger): Promise<{ app: FastifyInstance; board: Board }> {
    const app: FastifyInstance = loggerInstance === undefined ? Fastify({ logger: false }) : Fastify({ loggerInstance });
    this.apps.push(app);
    app.get('/healthz', async () => ({ status: 'ok' }));
    const board = await registerBoard(app, {
      redis: REDIS_URL,
      prefix: this.prefix,
      endpoints: endpoints(),
      host: '127.0.0.1',
      username: USER,
      password: PASSWORD,
      ...options,
    });
    await app.ready();
    return { app, board };
  }

  /** A queue handle under this test's prefix. */
  queue(name: string): Queue {
    const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix: this.prefix });
    this.#queues.push(queue);
    return queue;
  }

  /** Adds a job to `name` and has a worker fail it once; returns its id. */
  async failedJob(name: string): Promise<string> {
    const job = await this.queue(name).add('delivery', { events: [] }, { attempts: 1 });
    const worker = new Worker(
      name,
      async () => {
        throw new Error('endpoint answered 500');
      },
      { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: this.prefix },
    );
    try {
      await new Promise<void>((resolve) => worker.on('failed', () => resolve()));
    } finally {
      await worker.close();
    }
    return job.id!;
  }

  async close(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.close()));
    await Promise.all(this.#queues.map((queue) => queue.close()));
    await deleteKeys(REDIS_URL, this.prefix);
  }
}
