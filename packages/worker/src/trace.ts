import { Job, Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { EndpointConfig } from '@herald/config';
import { acceptsEvent, type Event } from '@herald/events';
import { acceptedAtOf, deliveryEvents, endpointQueueName, envelopeJobId, ingressQueueName, slotPerQueue, type DeliveryJobData } from '@herald/producer';
import { queueRedis } from './queue-redis.js';

/**
 * Where an event is, across every endpoint: the answer to "we never got the webhook".
 *
 * Distribution sends one event per envelope, and a delivery's job id is derived from its
 * envelope's event ids, so an event's delivery is found by id in each endpoint's queue
 * without any index. An event that arrived with others in one envelope is found when all
 * their ids are given (`ids`, in the order they were sent).
 */

/** What became of the event for one endpoint. */
export type TraceState =
  /** Answered 2xx. */
  | 'delivered'
  /** Waiting for a worker, or for its first attempt. */
  | 'pending'
  /** Being sent now. */
  | 'in flight'
  /** Failed at least once; the next attempt is scheduled. */
  | 'retrying'
  /** Given up after `maxage`: in the failed set, for `herald replay`. */
  | 'failed'
  /** The endpoint is paused (herald pause, the board, a 410): it waits. */
  | 'paused'
  /** The endpoint's `ignore` dropped it: never queued for it. */
  | 'filtered'
  /** No delivery in this endpoint's queue: see TRACE_NOT_FOUND. */
  | 'not found';

/** What "not found" can mean, said once to the operator. */
export const TRACE_NOT_FOUND =
  'no delivery in its queue: delivered before the history kept (worker.history, worker.historyLimit), not routed to it when accepted (added later, or disabled), or never accepted';

/** One endpoint's side of a trace. */
export interface EndpointTrace {
  readonly endpoint: string;
  readonly state: TraceState;
  /** Why filtered: the key and the value that matched. */
  readonly filteredBy?: string;
  readonly attempts?: number;
  /** When the last attempt started, ISO. */
  readonly lastAttemptAt?: string;
  /** When it was delivered or given up, ISO. */
  readonly finishedAt?: string;
  /** When the next attempt is due, ISO (retrying). */
  readonly nextAttemptAt?: string;
  /** The last error (retrying, failed). */
  readonly lastError?: string;
  /** The delivery's attempt log, oldest first (its last failed attempts). */
  readonly log?: readonly string[];
}

/** Everything Redis knows of an event. */
export interface EventTrace {
  readonly eventId: string;
  /** The job id of its envelope and of each of its deliveries. */
  readonly deliveryId: string;
  /** The event itself, when any queue still holds it. */
  readonly event?: Event;
  /** When Herald accepted it, ISO. */
  readonly acceptedAt?: string;
  /** Who handed it to Herald, when said (`ingest token NAME`). */
  readonly acceptedBy?: string;
  /** Still on the ingress queue (accepted before any worker published routes, or by Herald 0.1). */
  readonly inIngress: boolean;
  readonly endpoints: readonly EndpointTrace[];
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined || ms === 0 ? undefined : new Date(ms).toISOString();
}

/** Which part of an endpoint's filter drops the event, if any. */
function filteredBy(endpoint: EndpointConfig, event: Event): string | undefined {
  if (acceptsEvent(endpoint.ignore)(event)) return undefined;
  const mediaType = event.target?.mediaType;
  return mediaType !== undefined && endpoint.ignore.mediaTypes.includes(mediaType) ? `ignore.mediatypes: ${mediaType}` : `ignore.actions: ${event.action}`;
}

/** When a delayed job is due: BullMQ scores the delayed set with the due time × 4096 plus a counter. */
async function nextAttemptOf(queue: Queue, id: string): Promise<number | undefined> {
  const score = await (await queueRedis(queue)).zscore(queue.keys.delayed!, id);
  return score === null ? undefined : Math.floor(Number(score) / 4096);
}

async function stateOf(job: Job, queue: Queue): Promise<TraceState> {
  const state = await job.getState();
  if (state === 'completed') return 'delivered';
  if (state === 'failed') return 'failed';
  if (state === 'active') return 'in flight';
  if (await queue.isPaused()) return 'paused';
  if (state === 'delayed') return job.attemptsMade > 0 || job.attemptsStarted > 0 ? 'retrying' : 'pending';
  return 'pending';
}

/** Traces one event (or the events of one envelope, `ids`) through every endpoint of `endpoints`. */
export async function traceEvent(redis: Redis | Cluster, prefix: string, endpoints: readonly EndpointConfig[], ids: readonly string[]): Promise<EventTrace> {
  const deliveryId = envelopeJobId(ids.map((id) => ({ id })));
  const open = (name: string) => {
    const queue = new Queue(name, { connection: redis, prefix, skipVersionCheck: true });
    queue.on('error', () => {});
    return queue;
  };
  const perSlot = slotPerQueue(redis, prefix);
  const queues = endpoints.map((endpoint) => open(endpointQueueName(endpoint.name, perSlot)));
  const ingress = open(ingressQueueName(perSlot));
  try {
    const jobs = await Promise.all(queues.map((queue) => Job.fromId<DeliveryJobData>(queue, deliveryId)));
    const envelope = await Job.fromId<{ events: Event[] }>(ingress, deliveryId);
    let event: Event | undefined;
    let acceptedAt: number | undefined;
    let acceptedBy: string | undefined;
    for (const job of jobs) {
      if (job === undefined || event !== undefined) continue;
      try {
        event = deliveryEvents(job.data).find((candidate) => candidate.id === ids[0]);
        acceptedAt = acceptedAtOf(job);
        acceptedBy = job.data.src;
      } catch {
        // Undecodable by this release: the other queues may still say.
      }
    }
    if (event === undefined && envelope !== undefined) {
      event = envelope.data.events.find((candidate) => candidate.id === ids[0]);
      acceptedAt = envelope.timestamp;
      acceptedBy = (envelope.data as { src?: string }).src;
    }
    const traces = await Promise.all(
      endpoints.map(async (endpoint, index): Promise<EndpointTrace> => {
        const job = jobs[index];
        if (job === undefined) {
          const filter = event === undefined ? undefined : filteredBy(endpoint, event);
          return filter === undefined ? { endpoint: endpoint.name, state: 'not found' } : { endpoint: endpoint.name, state: 'filtered', filteredBy: filter };
        }
        const queue = queues[index]!;
        const state = await stateOf(job, queue);
        const { logs } = await queue.getJobLogs(deliveryId);
        const delayedUntil = state === 'retrying' ? await nextAttemptOf(queue, deliveryId) : undefined;
        return {
          endpoint: endpoint.name,
          state,
          attempts: job.attemptsStarted,
          ...(iso(job.processedOn) === undefined ? {} : { lastAttemptAt: iso(job.processedOn)! }),
          ...(iso(job.finishedOn) === undefined ? {} : { finishedAt: iso(job.finishedOn)! }),
          ...(delayedUntil === undefined || delayedUntil <= Date.now() ? {} : { nextAttemptAt: iso(delayedUntil)! }),
          ...(job.failedReason ? { lastError: job.failedReason } : {}),
          log: logs,
        };
      }),
    );
    return {
      eventId: ids[0]!,
      deliveryId,
      ...(event === undefined ? {} : { event }),
      ...(iso(acceptedAt) === undefined ? {} : { acceptedAt: iso(acceptedAt)! }),
      ...(acceptedBy === undefined ? {} : { acceptedBy }),
      inIngress: envelope !== undefined,
      endpoints: traces,
    };
  } finally {
    await Promise.all([...queues, ingress].map((queue) => queue.close()));
  }
}
