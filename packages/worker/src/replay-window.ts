import { Job, Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Event } from '@herald/events';
import { acceptedAtOf, deliveryEvents, deliveryJobOptions, DELIVERY_JOB, encodeEvents, endpointQueueName, slotPerQueue, type DeliveryJobData } from '@herald/producer';
import { queueRedis } from './queue-redis.js';

/** Which deliveries a window replay sends again. */
export interface WindowReplayOptions {
  /** Accepted at or after, in ms since the epoch. */
  sinceMs: number;
  /** Accepted at or before, in ms since the epoch. @defaultValue now */
  untilMs?: number;
  /** Only events with one of these actions. @defaultValue every action */
  actions?: readonly string[];
  /** Only events whose repository matches this glob (`*` any text, `?` one character). @defaultValue every repository */
  repository?: string;
  /** Delivered ones (kept for `worker.history`), given-up ones, or both. @defaultValue ['delivered'] */
  states?: readonly ('delivered' | 'failed')[];
  /** Count what would be replayed, change nothing. @defaultValue false */
  dryRun?: boolean;
  /** Told as deliveries are read and added: how many so far, of how many. */
  onProgress?: (phase: 'reading' | 'adding', done: number, total: number) => void;
}

/** What a window replay found and did. */
export interface WindowReplayResult {
  /** Deliveries whose events matched. */
  readonly deliveries: number;
  /** Events in them. */
  readonly events: number;
  /** Accepted first and last among them, in ms since the epoch. */
  readonly first?: number;
  readonly last?: number;
}

/** Data of a replayed delivery: the original delivery it repeats, so the worker marks the request. */
export interface ReplayedJobData extends DeliveryJobData {
  readonly replayOf: string;
}

/** The header of a replayed delivery's request: `Herald-Replay: true`. */
export const REPLAY_HEADER = 'Herald-Replay';

const PAGE = 500;

/** A repository glob as a whole-string regular expression. */
export function repositoryMatcher(glob: string): RegExp {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`);
}

/**
 * Sends a window of an endpoint's deliveries again, in acceptance order: each matching
 * delivery (its matching events only) becomes a new delivery job marked `replayOf`, which
 * the worker sends with `Herald-Replay: true`. The originals are left as they are. A
 * delivered one can be replayed while `worker.history` keeps it; a given-up one, always.
 */
export async function replayWindow(redis: Redis | Cluster, prefix: string, endpoint: string, options: WindowReplayOptions): Promise<WindowReplayResult> {
  const untilMs = options.untilMs ?? Date.now();
  const states = options.states ?? ['delivered'];
  const actions = options.actions === undefined || options.actions.length === 0 ? undefined : new Set(options.actions);
  const repository = options.repository === undefined ? undefined : repositoryMatcher(options.repository);
  const wanted = (event: Event) => (actions === undefined || actions.has(event.action)) && (repository === undefined || repository.test(event.target?.repository ?? ''));

  const queue = new Queue(endpointQueueName(endpoint, slotPerQueue(redis, prefix)), { connection: redis, prefix, skipVersionCheck: true });
  queue.on('error', () => {});
  try {
    const client = await queueRedis(queue);
    // A delivery accepted in the window finished after its start.
    const ids = [
      ...(states.includes('delivered') ? await client.zrangebyscore(queue.keys.completed!, options.sinceMs, '+inf') : []),
      ...(states.includes('failed') ? await client.zrange(queue.keys.failed!, 0, '-1') : []),
    ];
    const found: { id: string; acceptedAt: number; events: Event[] }[] = [];
    for (let start = 0; start < ids.length; start += PAGE) {
      const jobs = await Promise.all(ids.slice(start, start + PAGE).map((id) => Job.fromId<DeliveryJobData>(queue, id)));
      for (const job of jobs) {
        if (job?.id === undefined) continue;
        const acceptedAt = acceptedAtOf(job);
        if (acceptedAt < options.sinceMs || acceptedAt > untilMs) continue;
        let events: Event[];
        try {
          events = deliveryEvents(job.data).filter(wanted);
        } catch {
          continue; // undecodable by this release: herald trace and the board show it
        }
        if (events.length > 0) found.push({ id: job.id, acceptedAt, events });
      }
      options.onProgress?.('reading', Math.min(start + PAGE, ids.length), ids.length);
    }
    found.sort((a, b) => a.acceptedAt - b.acceptedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const result: WindowReplayResult = {
      deliveries: found.length,
      events: found.reduce((sum, entry) => sum + entry.events.length, 0),
      ...(found.length === 0 ? {} : { first: found[0]!.acceptedAt, last: found.at(-1)!.acceptedAt }),
    };
    if (options.dryRun || found.length === 0) return result;

    // New jobs, accepted now in the original order (one ms apart: workers take the oldest first).
    const run = Date.now();
    for (let start = 0; start < found.length; start += PAGE) {
      await queue.addBulk(
        found.slice(start, start + PAGE).map((entry, offset) => {
          const jobId = `replay.${run.toString(36)}.${entry.id}`;
          const data: ReplayedJobData = { z: encodeEvents(entry.events), acceptedAt: run + start + offset, replayOf: entry.id };
          return { name: DELIVERY_JOB, data, opts: { jobId, ...deliveryJobOptions(jobId) } };
        }),
      );
      options.onProgress?.('adding', Math.min(start + PAGE, found.length), found.length);
    }
    return result;
  } finally {
    await queue.close();
  }
}
