import type { Event, Sink } from '@herald/events';
import { EndpointResponseError, isEndpointWide } from './endpoint-errors.js';

/** One delivery of a batch: its events, and whatever the caller needs to settle it (a BullMQ job). */
export interface BatchItem<T> {
  readonly item: T;
  readonly events: readonly Event[];
  /** Size of `events` as a JSON array, in bytes, when the caller knows it; measured otherwise. */
  readonly jsonBytes?: number;
}

/** How each delivery of a batch ended. Every item is in exactly one list, in acceptance order. */
export interface BatchOutcome<T> {
  /** Answered 2xx. */
  readonly delivered: T[];
  /** Refused or unanswered, each with the error of the smallest request that held it. */
  readonly failed: { readonly item: T; readonly error: unknown }[];
  /** Not sent: an ordered endpoint stops at its first failure. */
  readonly unsent: T[];
  /** Requests halved after a 4xx that was not endpoint-wide. */
  readonly splits: number;
}

/** Options of sendBatch. */
export interface SendBatchOptions {
  /** Largest body of one request, in bytes; a delivery larger than this goes alone. */
  readonly maxBytes: number;
  /** Keep acceptance order: nothing after a failed delivery is sent. */
  readonly ordered: boolean;
  /** Told each time a refused request is halved, with its number of events. */
  readonly onSplit?: (events: number) => void;
}

/**
 * 4xx answers about the endpoint or the request as a whole, never about one event in it
 * (no credentials, no such path, gone): splitting would only multiply the refusals.
 */
const REFUSES_ANY_BATCH = new Set([401, 403, 404, 405, 410]);

/** Whether the endpoint refused something inside the request (a 400, 413 or 422, say): halving may isolate it. */
function refusesSome(error: unknown): boolean {
  return error instanceof EndpointResponseError && !isEndpointWide(error) && !REFUSES_ANY_BATCH.has(error.status);
}

/** Bytes of `{"events":[]}`, less the comma that bytesOf counts for the first item too. */
const ENVELOPE_BYTES = 12;

/** Bytes an item adds to an envelope's events array: its events' JSON without the brackets, plus a comma. */
function bytesOf(entry: BatchItem<unknown>): number {
  return (entry.jsonBytes ?? Buffer.byteLength(JSON.stringify(entry.events))) - 1;
}

/** The batch cut into runs whose envelope stays within `maxBytes`, order kept. */
function byBytes<T>(batch: readonly BatchItem<T>[], maxBytes: number): BatchItem<T>[][] {
  const runs: BatchItem<T>[][] = [];
  let run: BatchItem<T>[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const entry of batch) {
    const size = bytesOf(entry);
    if (run.length > 0 && bytes + size > maxBytes) {
      runs.push(run);
      run = [];
      bytes = ENVELOPE_BYTES;
    }
    run.push(entry);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Sends a batch of deliveries to one endpoint in as few requests as its limits allow,
 * each request one envelope of their events in acceptance order. A request the endpoint
 * refuses with a 4xx about its content (400, 413, 422…: one event it will not take) is
 * halved and each half sent again, recursively, so one poison delivery ends alone among
 * the failed and the rest are delivered. Any other failure — endpoint-wide (no answer,
 * 3xx, 5xx, 429, 408), a 4xx about the endpoint (401, 403, 404, 405, 410), or no answer at
 * all — sends nothing more: every delivery not yet delivered fails with it. Never rejects.
 */
export async function sendBatch<T>(sink: Sink, batch: readonly BatchItem<T>[], options: SendBatchOptions): Promise<BatchOutcome<T>> {
  const outcome = { delivered: [] as T[], failed: [] as { item: T; error: unknown }[], unsent: [] as T[], splits: 0 };
  /** A failure that ends the batch: endpoint-wide, or not an answer at all (a closed sink). */
  let batchFailure: unknown;
  let stopped = false;
  const send = async (run: readonly BatchItem<T>[]): Promise<void> => {
    if (stopped) {
      outcome.unsent.push(...run.map((entry) => entry.item));
      return;
    }
    if (batchFailure !== undefined) {
      outcome.failed.push(...run.map((entry) => ({ item: entry.item, error: batchFailure })));
      return;
    }
    try {
      await sink.write(...run.flatMap((entry) => entry.events));
      outcome.delivered.push(...run.map((entry) => entry.item));
    } catch (error) {
      const split = refusesSome(error);
      if (run.length > 1 && split) {
        outcome.splits += 1;
        options.onSplit?.(run.reduce((sum, entry) => sum + entry.events.length, 0));
        const half = Math.ceil(run.length / 2);
        await send(run.slice(0, half));
        await send(run.slice(half));
        return;
      }
      if (!split) batchFailure = error;
      outcome.failed.push(...run.map((entry) => ({ item: entry.item, error })));
      if (options.ordered) stopped = true;
    }
  };
  for (const run of byBytes(batch, options.maxBytes)) await send(run);
  return outcome;
}
