import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { createProducer } from '@herald/producer';
import { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { chaosEvents, envelopesOf, MEDIA_TYPES } from './helpers/chaos-events.js';
import { auditEndpoint, hasAll, leftoversOnceSettled } from './helpers/delivery-audit.js';
import { recordFigures } from './helpers/figures.js';
import { writeHeraldConfig } from './helpers/herald-yaml.js';
import { scaled } from './helpers/scale.js';
import { SeededRandom } from './helpers/seeded-random.js';
import { Teardown } from './helpers/teardown.js';
import { sleep, waitUntil } from './helpers/wait-until.js';

const EVENTS = scaled(10_000, 2_000);
const KILLS = scaled(5, 3);
/** A killed worker's jobs run again after about this long. */
const LOCK_MS = 2000;
/** Writing is paced to last about this long, so that every kill falls among the writes. */
const PLANNED_WRITE_MS = scaled(20_000, 10_000);
const WRITERS = 4;
const DRAIN_BOUND_MS = scaled(180_000, 90_000);

/** Each endpoint and, decided here independently of Herald's filter code, the events it must get. */
const ENDPOINTS = [
  { name: 'all', ignore: undefined, accepts: (_event: Event) => true },
  { name: 'no-pulls', ignore: { actions: ['pull'] }, accepts: (event: Event) => event.action !== 'pull' },
  { name: 'no-indexes', ignore: { mediatypes: [MEDIA_TYPES.ociIndex] }, accepts: (event: Event) => event.target.mediaType !== MEDIA_TYPES.ociIndex },
] as const;

describe('guarantee 1 under repeated worker crashes', () => {
  it('delivers every accepted event to every endpoint whose filter keeps it while a worker is SIGKILLed again and again', async () => {
    const random = SeededRandom.fromEnv();
    const prefix = testPrefix();
    const dir = mkdtempSync(join(tmpdir(), 'herald-chaos-crash-'));
    const teardown = new Teardown();
    teardown.add('config dir', async () => rmSync(dir, { recursive: true, force: true }));
    teardown.add('redis keys', () => deleteKeys(REDIS_URL, prefix));
    try {
      const receivers = await Promise.all(ENDPOINTS.map(() => WebhookReceiver.start()));
      for (const receiver of receivers) {
        teardown.add('receiver', () => receiver.close());
        receiver.reply = () => ({ status: 200, delayMs: 2 + Math.floor(Math.random() * 19) });
      }
      const config = writeHeraldConfig(dir, 'herald', {
        redisUrl: REDIS_URL,
        prefix,
        lockDurationMs: LOCK_MS,
        concurrency: 8,
        endpoints: ENDPOINTS.map((endpoint, n) => ({ name: endpoint.name, url: receivers[n]!.url, timeout: '1s', ...(endpoint.ignore ? { ignore: endpoint.ignore } : {}) })),
      });
      const startWorker = () => new HeraldProcess(['worker', '--config', config]);
      const steady = startWorker();
      teardown.addProcess('steady worker', () => steady);
      let victim = startWorker();
      teardown.addProcess('victim worker', () => victim);
      await Promise.all([steady.waitFor('worker: delivering to', 60_000), victim.waitFor('worker: delivering to', 60_000)]);
      const producer = createProducer({ redis: REDIS_URL, prefix });
      teardown.add('producer', () => producer.close());

      const events = chaosEvents(`crash-${random.seed}`, EVENTS, random);
      const envelopes = envelopesOf(events, random, 5);
      const expected = ENDPOINTS.map((endpoint) => new Set(events.filter(endpoint.accepts).map((event) => event.id)));
      const started = Date.now();
      const kills: { atMs: number; envelopesWritten: number; requestsInFlight: number; restartMs: number }[] = [];

      // The producer writes at a steady pace; each kill falls at a random point of its
      // stream (a random envelope count within the kill's share of the writes). Should
      // restarts be slow, the last 5% of the writes wait for the last kill, so that every
      // kill still falls while the producer writes and workers deliver.
      let killsDone!: () => void;
      const allKilled = new Promise<void>((resolve) => (killsDone = resolve));
      let written = 0;
      let next = 0;
      let writesHeldBack = false;
      const holdBack = Math.floor(envelopes.length * 0.95);
      const writing = Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (let index = next++; index < envelopes.length; index = next++) {
            const due = started + (index / envelopes.length) * PLANNED_WRITE_MS;
            if (due > Date.now()) await sleep(due - Date.now());
            if (index >= holdBack && kills.length < KILLS) {
              writesHeldBack = true;
              await allKilled;
            }
            await producer.write(...envelopes[index]!);
            written += 1;
          }
        }),
      );
      let writesFailed: unknown;
      const writesDone = writing.then(
        () => Date.now(),
        (error: unknown) => {
          writesFailed = error;
          return Date.now();
        },
      );

      const share = holdBack / (KILLS + 1);
      const thresholds = Array.from({ length: KILLS }, (_, kill) => Math.floor(share * (kill + 0.5 + random.next())));
      try {
        for (const threshold of thresholds) {
          await waitUntil(() => written >= threshold || writesFailed !== undefined, 120_000, 5);
          const at = Date.now();
          const envelopesWritten = written;
          const requestsInFlight = receivers.reduce((sum, receiver) => sum + receiver.inFlight, 0);
          await victim.stop('SIGKILL');
          kills.push({ atMs: at - started, envelopesWritten, requestsInFlight, restartMs: 0 });
          victim = startWorker();
          await victim.waitFor('worker: delivering to', 60_000);
          kills.at(-1)!.restartMs = Date.now() - at;
        }
      } finally {
        killsDone();
      }
      const lastWrite = await writesDone;
      expect(writesFailed).toBeUndefined();

      const drained = await waitUntil(() => receivers.every((receiver, n) => hasAll(receiver, expected[n]!)), DRAIN_BOUND_MS, 100);
      const drainedAt = Date.now();
      // Then until nothing is pending, so that late duplicates (a killed worker's delivered
      // but unacknowledged jobs, run again after their lock expired) are counted too.
      const leftovers = await leftoversOnceSettled(REDIS_URL, prefix, ENDPOINTS.map((endpoint) => endpoint.name), drained ? 60_000 : 1000);
      const quietAt = Date.now();
      const audits = ENDPOINTS.map((endpoint, n) => auditEndpoint(endpoint.name, receivers[n]!, expected[n]!));
      recordFigures('worker-crash', {
        seed: random.seed,
        events: EVENTS,
        envelopes: envelopes.length,
        endpoints: ENDPOINTS.map((endpoint, n) => ({ name: endpoint.name, ignore: endpoint.ignore ?? null, accepted: expected[n]!.size })),
        workers: 2,
        lockDurationMs: LOCK_MS,
        kills: kills.length,
        killsWhileWriting: kills.filter((kill) => kill.envelopesWritten < envelopes.length).length,
        writesHeldBackForKills: writesHeldBack,
        killMoments: kills,
        lost: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.lost])),
        duplicates: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.duplicates])),
        unexpected: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.unexpected])),
        requests: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.requests])),
        leftoverPending: leftovers.pending,
        leftoverFailed: leftovers.failed,
        writeMs: lastWrite - started,
        totalMs: quietAt - started,
        lastWriteToDrainedMs: drained ? drainedAt - lastWrite : null,
        lastWriteToQueuesEmptyMs: quietAt - lastWrite,
        steadyWorkerAlive: steady.child.exitCode === null && steady.child.signalCode === null,
      });
      for (const [n, audit] of audits.entries()) {
        expect(audit, `endpoint ${audit.endpoint}`).toMatchObject({ lost: 0, unexpected: 0 });
        expect(new Set(receivers[n]!.delivered)).toStrictEqual(expected[n]);
      }
      expect(kills).toHaveLength(KILLS);
      expect(leftovers).toMatchObject({ pending: 0, failed: 0 });
      expect(steady.child.exitCode).toBeNull();
    } finally {
      const errors = await teardown.run();
      expect(errors).toStrictEqual([]);
    }
  }, 15 * 60_000);
});
