import type { Event } from '@herald/events';
import { chaosEvent } from './chaos-events.js';
import type { SeededRandom } from './seeded-random.js';
import { sleep } from './wait-until.js';

/** What a write attempt came to: acknowledged (resolved / 202), refused cleanly (ProducerUnavailableError / 503). */
export type WriteOutcome = 'acknowledged' | 'unavailable';

/** One event's history: through which door, when first tried, when acknowledged. */
export interface Written {
  readonly via: string;
  readonly event: Event;
  readonly firstAttemptAt: number;
  ackAt?: number;
}

/** A write refused cleanly. */
export interface Refusal {
  readonly via: string;
  readonly at: number;
  /** How long the refused attempt took to fail. */
  readonly ms: number;
}

/** Options of AcknowledgedWrites. */
export interface AcknowledgedWritesOptions {
  /** Pause between two envelopes of one writer, in ms. */
  paceMs: number;
  /** Pause before a refused envelope is sent again, in ms. */
  retryPauseMs: number;
  /** No writer goes on past this time (ms since the epoch). */
  deadline: number;
}

/**
 * A ledger of writes: writers send envelopes of 1 to 3 new events until stopped, each
 * one retried (same events: Herald deduplicates them) until acknowledged, as a registry
 * does, so every event tried ends acknowledged. It records when each event was first
 * tried and acknowledged, every clean refusal, and anything else (a misbehaviour).
 */
export class AcknowledgedWrites {
  readonly events = new Map<string, Written>();
  readonly refusals: Refusal[] = [];
  readonly misbehaviour: string[] = [];
  readonly #options: AcknowledgedWritesOptions;
  readonly #writers: Promise<void>[] = [];
  #stopped = false;

  constructor(options: AcknowledgedWritesOptions) {
    this.#options = options;
  }

  /** Starts a writer named `writer` (event ids `<writer>-<n>-<k>`) through `send`. */
  start(via: string, writer: string, send: (events: Event[]) => Promise<WriteOutcome>, random: SeededRandom): void {
    this.#writers.push(this.#write(via, writer, send, random));
  }

  /** Stops the writers; resolves once each has its last envelope acknowledged (or the deadline passed). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#writers);
  }

  /** Events acknowledged so far. */
  acknowledged(): Written[] {
    return [...this.events.values()].filter((written) => written.ackAt !== undefined);
  }

  /** When the first acknowledgement through `via` at or after `at` came; Infinity if none yet. */
  firstAckAfter(via: string, at: number): number {
    let first = Infinity;
    for (const written of this.events.values()) {
      if (written.via === via && written.ackAt !== undefined && written.ackAt >= at && written.ackAt < first) first = written.ackAt;
    }
    return first;
  }

  /** Counts of one door: events tried, acknowledged, refusals and the slowest refusal. */
  summary(via: string): { events: number; acknowledged: number; refused: number; slowestRefusalMs: number } {
    const written = [...this.events.values()].filter((entry) => entry.via === via);
    const refusals = this.refusals.filter((refusal) => refusal.via === via);
    return {
      events: written.length,
      acknowledged: written.filter((entry) => entry.ackAt !== undefined).length,
      refused: refusals.length,
      slowestRefusalMs: refusals.reduce((slowest, refusal) => Math.max(slowest, refusal.ms), 0),
    };
  }

  async #write(via: string, writer: string, send: (events: Event[]) => Promise<WriteOutcome>, random: SeededRandom): Promise<void> {
    const { deadline, paceMs, retryPauseMs } = this.#options;
    for (let n = 0; !this.#stopped && Date.now() < deadline; n += 1) {
      const events = Array.from({ length: random.int(1, 3) }, (_, k) => chaosEvent(`${writer}-${n}-${k}`, random));
      const firstAttemptAt = Date.now();
      for (const event of events) this.events.set(event.id, { via, event, firstAttemptAt });
      while (Date.now() < deadline) {
        const attemptAt = Date.now();
        let outcome: WriteOutcome | 'error';
        try {
          outcome = await send(events);
        } catch (error) {
          this.misbehaviour.push(`${via}: ${(error as Error).message}`);
          outcome = 'error';
        }
        if (outcome === 'acknowledged') {
          const ackAt = Date.now();
          for (const event of events) this.events.get(event.id)!.ackAt = ackAt;
          break;
        }
        if (outcome === 'unavailable') this.refusals.push({ via, at: Date.now(), ms: Date.now() - attemptAt });
        await sleep(retryPauseMs);
      }
      await sleep(paceMs);
    }
  }
}
