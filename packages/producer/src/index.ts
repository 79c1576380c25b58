export { createProducer } from './producer.js';
export type { Producer, ProducerOptions } from './producer.js';
export { QueueSink } from './queue-sink.js';
export type { QueueSinkOptions } from './queue-sink.js';
export { Router } from './router.js';
export type { RoutedEnvelope, RouterOptions } from './router.js';
export { EventCodecError, NotReplicatedError, ProducerUnavailableError } from './errors.js';
export { replicasConfirming } from './replication.js';
export { SinkClosedError } from '@herald/events';
export {
  ENVELOPE_JOB,
  envelopeJobId,
  HERALD_BACKOFF,
  heraldJobOptions,
  INGRESS_DEDUPE_WINDOW_MS,
  INGRESS_QUEUE,
  ingressJobOptions,
  ingressQueueName,
  KEEP_FINISHED_JOBS,
  keepDeliveredJobs,
  UNLIMITED_ATTEMPTS,
} from './ingress-queue.js';
export {
  acceptedAtOf,
  deliveriesOf,
  DELIVERY_DEDUPE_WINDOW_MS,
  DELIVERY_JOB,
  deliveryEvents,
  sizedDeliveryEvents,
  deliveryJobData,
  deliveryJobOptions,
  endpointQueueName,
  RECOMMENDED_HASH_MAX_LISTPACK_VALUE,
} from './delivery-job.js';
export type { DeliveryJobData } from './delivery-job.js';
export { decodeEvents, encodeEvents } from './event-codec.js';
export { idListDigest } from './id-digest.js';
export {
  compileRoutes,
  knownEndpointsKey,
  publishRoutes,
  readKnownEndpoints,
  readRoutes,
  routesKey,
  routingTable,
} from './routes.js';
export type { CompiledRoute, Route, RoutingTable } from './routes.js';
export { describeRedis, openRedis, PRODUCER_REDIS_OPTIONS } from './redis-target.js';
export type { RedisHandle, RedisTarget } from './redis-target.js';
export { connectRedis, reconnectDelayMs, sentinelOptions } from './redis-connect.js';
export { slotPerQueue, storedQueueName } from './queue-layout.js';
export type { RedisConnectionSettings } from './redis-connect.js';
