export { HttpSink } from './http-sink.js';
export type { HttpSinkOptions } from './http-sink.js';
export type { DeliveryListener } from './delivery-listener.js';
export { combineListeners, noopDeliveryListener } from './delivery-listener.js';
export { DeliveryMetrics, QUEUE_STATES, registerQueueDepth } from './metrics.js';
export { EndpointRequestError, EndpointResponseError, isEndpointWide, parseRetryAfter, requestFailureReason } from './endpoint-errors.js';
export type { RequestFailureReason, ResponseDetails } from './endpoint-errors.js';
export {
  signPayload,
  verifySignature,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  webhookIdOf,
} from './signature.js';
export type { VerifyOptions, WebhookHeaders } from './signature.js';
export { httpsOptionsFor } from './tls-options.js';
export type { EndpointTls } from './tls-options.js';
export { backoffDelay, givesUp, JITTER, retryDelay } from './backoff.js';
export type { RetryPolicy } from './backoff.js';
export { DeliveryExpiredError, DeliveryRetryError } from './delivery-errors.js';
export { DeliveryWorker } from './delivery-worker.js';
export type { DeliveryWorkerOptions, ExpiryListener, LatencyListener, PauseListener, SplitListener } from './delivery-worker.js';
export { pauseEndpoint, resumeEndpoint } from './endpoint-pause.js';
export { oldestPendingAcceptedAt } from './oldest-pending.js';
export { sendBatch } from './batch-send.js';
export type { BatchItem, BatchOutcome, SendBatchOptions } from './batch-send.js';
export { EndpointStats, readEndpointCounters, statsKey } from './endpoint-stats.js';
export type { EndpointCounters, EndpointStatsOptions } from './endpoint-stats.js';
export { FanOut } from './fan-out.js';
export type { FanOutOptions } from './fan-out.js';
export { startWorker } from './worker.js';
export type { RunningWorker, WorkerOptions, WorkerReload } from './worker.js';
export { readFleetStatus } from './fleet-status.js';
export { readRedisRisks, REDIS_RISK_IDS, registerRedisRisks } from './redis-risks.js';
export type { RedisRisk, RedisRiskId } from './redis-risks.js';
export type { EndpointStatus } from './fleet-status.js';
export { replayFailed } from './replay.js';
export type { ReplayOptions } from './replay.js';
export { RoutesPublisher, routesOf } from './routes-publisher.js';
export type { RoutesPublisherOptions } from './routes-publisher.js';
export { adviseOnRedis } from './redis-advice.js';
export { traceEvent, TRACE_NOT_FOUND } from './trace.js';
export type { EndpointTrace, EventTrace, TraceState } from './trace.js';
export { REPLAY_HEADER, replayWindow, repositoryMatcher } from './replay-window.js';
export type { ReplayedJobData, WindowReplayOptions, WindowReplayResult } from './replay-window.js';
