import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { createProducer } from '@herald/producer';
import { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver, type Delivery } from '../helpers/webhook-receiver.js';
import { chaosEvents, envelopesOf } from './helpers/chaos-events.js';
import { auditEndpoint, hasAll, leftoversOnceSettled } from './helpers/delivery-audit.js';
import { recordFigures } from './helpers/figures.js';
import { writeHeraldConfig } from './helpers/herald-yaml.js';
import { scaled } from './helpers/scale.js';
import { SeededRandom } from './helpers/seeded-random.js';
import { Teardown } from './helpers/teardown.js';
import { sleep, waitUntil, within } from './helpers/wait-until.js';

const EVENTS = scaled(200, 60);
/** SIGTERMs with deliveries in flight; each stopped worker is followed by a fresh one. */
const ROUNDS = scaled(4, 2);
/** Requests in flight, over both receivers, before a SIGTERM is sent. */
const MIN_IN_FLIGHT = 3;
const LOCK_MS = 10_000;
/** The receivers answer after 500 to 1500 ms, well inside every endpoint timeout: no attempt times out. */
const REPLY_MS = [500, 1500] as const;
const ENDPOINTS = [
  { name: 'slow', timeoutMs: 4000, accepts: (_event: Event) => true, ignore: undefined },
  { name: 'slow-no-pulls', timeoutMs: 2000, accepts: (event: Event) => event.action !== 'pull', ignore: { actions: ['pull'] } },
] as const;
/** The bound `herald worker` gives itself after SIGTERM: the slowest endpoint timeout + 10 s (packages/cli/src/commands/run-roles.ts). */
const SHUTDOWN_BOUND_MS = Math.max(...ENDPOINTS.map((endpoint) => endpoint.timeoutMs)) + 10_000;

interface Answer {
  readonly delivery: Delivery;
  readonly endpoint: string;
  readonly answersAt: number;
}

describe('graceful shutdown', () => {
  it('exits 0 within its bound on SIGTERM, finishing the deliveries in flight, and a later worker delivers the rest: nothing lost', async () => {
    const random = SeededRandom.fromEnv();
    const prefix = testPrefix();
    const dir = mkdtempSync(join(tmpdir(), 'herald-chaos-term-'));
    const teardown = new Teardown();
    teardown.add('config dir', async () => rmSync(dir, { recursive: true, force: true }));
    teardown.add('redis keys', () => deleteKeys(REDIS_URL, prefix));
    try {
      const receivers = await Promise.all(ENDPOINTS.map(() => WebhookReceiver.start()));
      const answers: Answer[] = [];
      for (const [n, receiver] of receivers.entries()) {
        teardown.add('receiver', () => receiver.close());
        receiver.reply = (delivery) => {
          const delayMs = REPLY_MS[0] + Math.floor(Math.random() * (REPLY_MS[1] - REPLY_MS[0] + 1));
          answers.push({ delivery, endpoint: ENDPOINTS[n]!.name, answersAt: Date.now() + delayMs });
          return { status: 200, delayMs };
        };
      }
      const config = writeHeraldConfig(dir, 'herald', {
        redisUrl: REDIS_URL,
        prefix,
        lockDurationMs: LOCK_MS,
        concurrency: 4,
        logLevel: 'info',
        endpoints: ENDPOINTS.map((endpoint, n) => ({
          name: endpoint.name,
          url: receivers[n]!.url,
          timeout: `${endpoint.timeoutMs}ms`,
          ...(endpoint.ignore ? { ignore: endpoint.ignore } : {}),
        })),
      });
      const startWorker = () => new HeraldProcess(['worker', '--config', config]);
      let worker = startWorker();
      teardown.addProcess('worker', () => worker);
      await worker.waitFor('worker: delivering to', 60_000);
      const producer = createProducer({ redis: REDIS_URL, prefix });
      teardown.add('producer', () => producer.close());

      const events = chaosEvents(`term-${random.seed}`, EVENTS, random);
      const expected = ENDPOINTS.map((endpoint) => new Set(events.filter(endpoint.accepts).map((event) => event.id)));
      const started = Date.now();
      for (const envelope of envelopesOf(events, random, 2)) await producer.write(...envelope);
      const inFlight = () => receivers.reduce((sum, receiver) => sum + receiver.inFlight, 0);

      const rounds: {
        inFlightAtSigterm: number;
        exitMs: number;
        exit: { code: number | null; signal: string | null };
        inFlightFinishedBeforeExit: boolean;
        requestsStartedAfterSigterm: number;
        logs: { stopping: boolean; stopped: boolean; cutShort: boolean };
      }[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        await sleep(random.int(0, 1500));
        const busy = await waitUntil(() => inFlight() >= MIN_IN_FLIGHT, 30_000, 10);
        expect(busy, `round ${round}: ${MIN_IN_FLIGHT} deliveries in flight`).toBe(true);
        const sigtermAt = Date.now();
        const inFlightAtSigterm = inFlight();
        const pendingAnswers = answers.filter((answer) => answer.answersAt > sigtermAt);
        const requestsBefore = answers.length;
        const stopping = worker;
        const exit = await within(stopping.stop('SIGTERM'), SHUTDOWN_BOUND_MS + 15_000, `round ${round}: worker did not exit after SIGTERM`);
        const exitMs = Date.now() - sigtermAt;
        const delivered = new Map<string, Set<string>>(ENDPOINTS.map((endpoint, n) => [endpoint.name, new Set(receivers[n]!.delivered)]));
        const text = stopping.output.join('');
        rounds.push({
          inFlightAtSigterm,
          exitMs,
          exit,
          // Each request in flight at SIGTERM was answered 2xx before the worker exited.
          inFlightFinishedBeforeExit: pendingAnswers.every((answer) => answer.delivery.eventIds.every((id) => delivered.get(answer.endpoint)!.has(id))),
          requestsStartedAfterSigterm: answers.length - requestsBefore,
          logs: {
            stopping: text.includes('"stopping after work in flight"'),
            stopped: text.includes('"herald stopped"'),
            cutShort: text.includes('shutdown took too long'),
          },
        });
        worker = startWorker();
        await worker.waitFor('worker: delivering to', 60_000);
      }

      const drained = await waitUntil(() => receivers.every((receiver, n) => hasAll(receiver, expected[n]!)), 180_000, 100);
      const drainedAt = Date.now();
      const leftovers = await leftoversOnceSettled(REDIS_URL, prefix, ENDPOINTS.map((endpoint) => endpoint.name), drained ? 30_000 : 1000);
      // The last worker, idle now, stops at once.
      const idleSigtermAt = Date.now();
      const idleExit = await within(worker.stop('SIGTERM'), SHUTDOWN_BOUND_MS + 15_000, 'idle worker did not exit after SIGTERM');
      const idleExitMs = Date.now() - idleSigtermAt;
      const audits = ENDPOINTS.map((endpoint, n) => auditEndpoint(endpoint.name, receivers[n]!, expected[n]!));
      recordFigures('graceful-shutdown', {
        seed: random.seed,
        events: EVENTS,
        endpoints: ENDPOINTS.map((endpoint, n) => ({ name: endpoint.name, timeoutMs: endpoint.timeoutMs, accepted: expected[n]!.size })),
        receiverReplyMs: REPLY_MS,
        concurrencyPerEndpoint: 4,
        shutdownBoundMs: SHUTDOWN_BOUND_MS,
        sigterms: rounds.length,
        inFlightAtSigterm: rounds.map((round) => round.inFlightAtSigterm),
        exitMs: rounds.map((round) => round.exitMs),
        exitCodes: rounds.map((round) => round.exit.code),
        inFlightFinishedBeforeExit: rounds.map((round) => round.inFlightFinishedBeforeExit),
        requestsStartedAfterSigterm: rounds.map((round) => round.requestsStartedAfterSigterm),
        idleExitMs,
        idleExitCode: idleExit.code,
        lost: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.lost])),
        duplicates: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.duplicates])),
        unexpected: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.unexpected])),
        leftoverPending: leftovers.pending,
        leftoverFailed: leftovers.failed,
        totalMs: drainedAt - started,
      });
      for (const round of rounds) {
        expect(round.exit).toStrictEqual({ code: 0, signal: null });
        expect(round.exitMs).toBeLessThanOrEqual(SHUTDOWN_BOUND_MS);
        expect(round.inFlightAtSigterm).toBeGreaterThanOrEqual(MIN_IN_FLIGHT);
        expect(round.inFlightFinishedBeforeExit).toBe(true);
        expect(round.logs).toStrictEqual({ stopping: true, stopped: true, cutShort: false });
      }
      expect(idleExit).toStrictEqual({ code: 0, signal: null });
      for (const [n, audit] of audits.entries()) {
        expect(audit, `endpoint ${audit.endpoint}`).toMatchObject({ lost: 0, unexpected: 0 });
        expect(new Set(receivers[n]!.delivered)).toStrictEqual(expected[n]);
        // Guarantee 3: duplicates only after a crash or a timeout; a SIGTERM is neither.
        expect(audit.duplicates, `duplicates at ${audit.endpoint}`).toBe(0);
      }
      expect(leftovers).toMatchObject({ pending: 0, failed: 0 });
    } finally {
      const errors = await teardown.run();
      expect(errors).toStrictEqual([]);
    }
  }, 10 * 60_000);
});
