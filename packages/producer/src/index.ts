export { createProducer } from './producer.js';
export type { Producer, ProducerOptions } from './producer.js';
export { QueueSink } from './queue-sink.js';
export type { QueueSinkOptions } from './queue-sink.js';
export { ProducerUnavailableError } from './errors.js';
export { SinkClosedError } from '@herald/events';
export {
  ENVELOPE_JOB,
  envelopeJobId,
  HERALD_BACKOFF,
  heraldJobOptions,
  INGRESS_DEDUPE_WINDOW_MS,
  INGRESS_QUEUE,
  ingressJobOptions,
  UNLIMITED_ATTEMPTS,
} from './ingress-queue.js';
export { describeRedis, openRedis, PRODUCER_REDIS_OPTIONS } from './redis-target.js';
export type { RedisHandle, RedisTarget } from './redis-target.js';
