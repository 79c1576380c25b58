import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Event } from '@herald/events';
import { createProducer, endpointQueueName, INGRESS_QUEUE, type Producer } from '@herald/producer';
import { deleteKeys } from '../helpers/redis-keys.js';
import { BASELINE_JOB_OPTIONS, BASELINE_QUEUE, startBaselineWorker } from './baseline-pipeline.js';
import { endpointName, startHeraldWorkers, stopAll } from './herald-fleet.js';
import { cpuTimeMs } from './cpu-time.js';
import type { NodeProcess } from './node-process.js';

/** Which system delivers: Herald's producer + `herald worker`, or the hand-written BullMQ + got baseline. */
export type System = 'herald' | 'baseline';

/** Settings of one measured pipeline. */
export interface PipelineSettings {
  redisUrl: string;
  /** Worker processes. */
  workers: number;
  /** Endpoint URLs every event goes to. */
  endpoints: string[];
  /** Deliveries in flight per endpoint per worker process. */
  concurrency: number;
  /** Herald's `maxbatch` on every endpoint (the baseline sends one event per request whatever this says). @defaultValue 1 */
  maxBatch?: number;
  /** Node options of the worker processes (--cpu-prof). */
  nodeArgs?: string[];
}

/**
 * One system under test, running under a key prefix of its own: its worker processes,
 * the client that accepts events (Herald's producer, or `Queue.add`), and handles on the
 * queues accepted events wait in (Herald: each endpoint's; the baseline: its only one),
 * to pause them while a backlog is written.
 */
export class Pipeline {
  readonly system: System;
  readonly prefix = `bench-${randomUUID().slice(0, 8)}`;
  readonly #settings: PipelineSettings;
  readonly #ingress: Queue;
  /** Where accepted events wait for delivery: Herald's endpoint queues, or the baseline's one queue. */
  readonly #waiting: Queue[];
  readonly #producer: Producer | undefined;
  #processes: NodeProcess[] = [];

  constructor(system: System, settings: PipelineSettings) {
    this.system = system;
    this.#settings = settings;
    const connection = { url: settings.redisUrl, maxRetriesPerRequest: null };
    this.#ingress = new Queue(system === 'herald' ? INGRESS_QUEUE : BASELINE_QUEUE, { connection, prefix: this.prefix });
    this.#producer = system === 'herald' ? createProducer({ redis: settings.redisUrl, prefix: this.prefix }) : undefined;
    this.#waiting = system === 'herald' ? settings.endpoints.map((_, n) => this.deliveryQueue(n)) : [this.#ingress];
  }

  /** Starts the worker processes and waits until every one consumes. */
  async start(): Promise<void> {
    const { redisUrl, workers, endpoints, concurrency, maxBatch = 1, nodeArgs } = this.#settings;
    await this.#ingress.waitUntilReady();
    if (this.system === 'herald') {
      // The workers publish the routes; the producer reads them when it is ready.
      this.#processes = await startHeraldWorkers({ redisUrl, prefix: this.prefix, concurrency, maxBatch, endpoints, ...(nodeArgs ? { nodeArgs } : {}) }, workers);
      await this.#producer!.ready();
    } else {
      this.#processes = await Promise.all(
        Array.from({ length: workers }, () => startBaselineWorker({ redisUrl, prefix: this.prefix, concurrency, endpoints, ...(nodeArgs ? { nodeArgs } : {}) })),
      );
    }
  }

  /** Accepts one event durably: resolves once Redis holds it. */
  write(event: Event): Promise<unknown> {
    return this.#producer !== undefined ? this.#producer.write(event) : this.#ingress.add('envelope', { events: [event] }, BASELINE_JOB_OPTIONS);
  }

  /** Stops (or lets go again) the consumption of accepted events, fleet-wide (BullMQ Queue.pause). */
  async pause(): Promise<void> {
    await Promise.all(this.#waiting.map((queue) => queue.pause()));
  }

  async resume(): Promise<void> {
    await Promise.all(this.#waiting.map((queue) => queue.resume()));
  }

  /** A queue handle on the queue endpoint n's deliveries wait in (Herald: the endpoint's own; baseline: the only one). */
  deliveryQueue(n: number): Queue {
    if (this.system === 'baseline') return this.#ingress;
    return new Queue(endpointQueueName(endpointName(n)), { connection: { url: this.#settings.redisUrl, maxRetriesPerRequest: null }, prefix: this.prefix });
  }

  /** CPU time used so far by all worker processes, in ms. */
  workerCpuMs(): number {
    return this.#processes.reduce((sum, process) => sum + (cpuTimeMs(process.child.pid) ?? Number.NaN), 0);
  }

  /** Stops the worker processes (SIGTERM, by pid), closes the clients and deletes the prefix's keys. */
  async stop(): Promise<void> {
    await stopAll(this.#processes);
    this.#processes = [];
    await this.#producer?.close();
    await Promise.all([this.#ingress, ...this.#waiting].map((queue) => queue.close()));
    await deleteKeys(this.#settings.redisUrl, this.prefix);
  }
}
