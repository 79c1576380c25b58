import { describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import type { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { chaosEvents, envelopesOf, MEDIA_TYPES } from './helpers/chaos-events.js';
import { auditEndpoint, hasAll, leftoversOnceSettled } from './helpers/delivery-audit.js';
import { recordFigures } from './helpers/figures.js';
import { postUntilAccepted } from './helpers/post-until-accepted.js';
import { heraldEnv, startHerald } from './helpers/herald-run.js';
import { scaled } from './helpers/scale.js';
import { SeededRandom } from './helpers/seeded-random.js';
import { Teardown } from './helpers/teardown.js';
import { waitUntil } from './helpers/wait-until.js';

const EVENTS = scaled(6_000, 1_500);
const KILLS = scaled(5, 3);
const WRITERS = 16;
const DRAIN_BOUND_MS = scaled(120_000, 60_000);

/** Each endpoint and, decided here independently of Herald's filter code, the events it must get. */
const ENDPOINTS = [
  { name: 'all', ignore: undefined, accepts: (_event: Event) => true },
  { name: 'no-pulls', ignore: { actions: ['pull'] }, accepts: (event: Event) => event.action !== 'pull' },
  { name: 'no-indexes', ignore: { mediatypes: [MEDIA_TYPES.ociIndex] }, accepts: (event: Event) => event.target.mediaType !== MEDIA_TYPES.ociIndex },
] as const;

/** Where a started `herald ingest` takes POSTs, from the line startHerald waited for. */
function eventsUrlOf(ingest: HeraldProcess): string {
  const match = /ingest: POST events to (http:\/\/\S+\/events)/.exec(ingest.output.join(''));
  if (match === null) throw new Error(`no ingest line in:\n${ingest.output.join('')}`);
  return match[1]!;
}

/**
 * Ingest acknowledges an envelope (202) once Redis holds one delivery job per endpoint
 * that wants it, added in one round trip from the ingest process itself. Killing that
 * process at any moment — between the adds of a batch, before a 202 is written — must
 * lose nothing acknowledged: the registry re-POSTs what was not acknowledged, and what
 * did land is not added twice.
 */
describe('guarantee 1 under repeated ingest crashes', () => {
  it('delivers every acknowledged event to every endpoint whose filter keeps it while ingest is SIGKILLed mid-write', async () => {
    const random = SeededRandom.fromEnv();
    const prefix = testPrefix();
    const teardown = new Teardown();
    teardown.add('redis keys', () => deleteKeys(REDIS_URL, prefix));
    try {
      const receivers = await Promise.all(ENDPOINTS.map(() => WebhookReceiver.start()));
      for (const receiver of receivers) teardown.add('receiver', () => receiver.close());
      const env = heraldEnv({
        redisUrl: REDIS_URL,
        prefix,
        endpoints: ENDPOINTS.map((endpoint, n) => ({ name: endpoint.name, url: receivers[n]!.url, ...(endpoint.ignore ? { ignore: endpoint.ignore } : {}) })),
      });
      const worker = await startHerald('worker', env);
      teardown.addProcess('worker', () => worker);
      let ingest: HeraldProcess = await startHerald('ingest', env);
      teardown.addProcess('ingest', () => ingest);
      let url = eventsUrlOf(ingest);

      const events = chaosEvents(`ingest-crash-${random.seed}`, EVENTS, random);
      const envelopes = envelopesOf(events, random, 4);
      const acknowledged = new Set<string>();
      const started = Date.now();
      let next = 0;
      let posts = 0;
      let refused = 0;
      // Each writer POSTs its envelope until it gets a 202 (postUntilAccepted).
      const writing = Promise.all(
        Array.from({ length: WRITERS }, async () => {
          for (let index = next++; index < envelopes.length; index = next++) {
            const refusedNow = await postUntilAccepted(() => url, envelopes[index]!, 20);
            refused += refusedNow;
            posts += refusedNow + 1;
            for (const event of envelopes[index]!) acknowledged.add(event.id);
          }
        }),
      );

      const kills: { atMs: number; acknowledgedBefore: number; restartMs: number }[] = [];
      for (let kill = 0; kill < KILLS; kill += 1) {
        const threshold = Math.floor((envelopes.length * (kill + 0.3 + 0.5 * random.next())) / (KILLS + 1));
        await waitUntil(() => next >= threshold, 120_000, 5);
        const at = Date.now();
        await ingest.stop('SIGKILL');
        kills.push({ atMs: at - started, acknowledgedBefore: acknowledged.size, restartMs: 0 });
        ingest = await startHerald('ingest', env);
        url = eventsUrlOf(ingest);
        kills.at(-1)!.restartMs = Date.now() - at;
      }
      await writing;
      const lastWrite = Date.now();

      const expected = ENDPOINTS.map((endpoint) => new Set(events.filter(endpoint.accepts).map((event) => event.id)));
      const drained = await waitUntil(() => receivers.every((receiver, n) => hasAll(receiver, expected[n]!)), DRAIN_BOUND_MS, 100);
      const leftovers = await leftoversOnceSettled(REDIS_URL, prefix, ENDPOINTS.map((endpoint) => endpoint.name), drained ? 30_000 : 1000);
      const audits = ENDPOINTS.map((endpoint, n) => auditEndpoint(endpoint.name, receivers[n]!, expected[n]!));
      recordFigures('ingest-crash', {
        seed: random.seed,
        events: EVENTS,
        envelopes: envelopes.length,
        writers: WRITERS,
        posts,
        notAcknowledgedThenResent: refused,
        kills,
        acknowledged: acknowledged.size,
        lost: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.lost])),
        duplicates: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.duplicates])),
        unexpected: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.unexpected])),
        leftoverPending: leftovers.pending,
        leftoverFailed: leftovers.failed,
        lastWriteToDrainedMs: Date.now() - lastWrite,
      });
      expect(acknowledged.size).toBe(EVENTS);
      expect(kills).toHaveLength(KILLS);
      for (const [n, audit] of audits.entries()) {
        expect(audit, `endpoint ${audit.endpoint}`).toMatchObject({ lost: 0, unexpected: 0 });
        expect(new Set(receivers[n]!.delivered)).toStrictEqual(expected[n]);
      }
      expect(leftovers).toMatchObject({ pending: 0, failed: 0 });
    } finally {
      const errors = await teardown.run();
      expect(errors).toStrictEqual([]);
    }
  }, 10 * 60_000);
});
