import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { runHerald, type HeraldProcess } from '../helpers/herald-process.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { RedisSentinel } from '../helpers/redis-sentinel.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { chaosEvents, envelopesOf } from './helpers/chaos-events.js';
import { auditEndpoint, hasAll } from './helpers/delivery-audit.js';
import { recordFigures } from './helpers/figures.js';
import { postUntilAccepted } from './helpers/post-until-accepted.js';
import { heraldEnv, startHerald } from './helpers/herald-run.js';
import { scaled } from './helpers/scale.js';
import { SeededRandom } from './helpers/seeded-random.js';
import { Teardown } from './helpers/teardown.js';
import { sleep, waitUntil } from './helpers/wait-until.js';

/**
 * Guarantee 1 through a Redis failover: a master is SIGKILLed while ingest accepts and
 * workers deliver; its replica takes over (Sentinel, or the cluster itself) and Herald
 * carries on without a restart. With `redis.durability: replicated`, every event ingest
 * acknowledged is delivered (lost = 0); with `acknowledged`, what a failover loses is
 * counted and reported. To make the difference show, the replica lags (SIGSTOP) and the
 * endpoints refuse deliveries for a moment before the kill, so that events accepted in
 * that moment exist only in the master's queues. The killed server then comes back, as a
 * replica of the new master, so that `replicated` writes can be confirmed again.
 */

const EVENTS = scaled(3000, 600);
const WRITERS = 4;
const DRAIN_BOUND_MS = 120_000;
const PREFIX = 'herald';

/** A Redis with a master to kill: how Herald reaches it, and the kill. */
interface Topology {
  readonly name: string;
  readonly env: Record<string, string>;
  /** The master that will be killed, and the replica that will take over from it. */
  victim(): Promise<{ master: RedisServer; replica: RedisServer }>;
  /** SIGKILLs the victim master, runs `afterKill`, and waits until its replica has taken over. */
  killMaster(afterKill: () => void): Promise<void>;
  destroy(): Promise<void>;
}

async function sentinelTopology(): Promise<Topology> {
  const sentinel = await RedisSentinel.start({ downAfterMs: 1000 });
  return {
    name: 'sentinel',
    env: { HERALD_REDIS_SENTINEL_NAME: sentinel.name, HERALD_REDIS_SENTINEL_NODES: sentinel.urls.join(',') },
    victim: async () => ({ master: sentinel.master, replica: sentinel.replica }),
    killMaster: (afterKill) => sentinel.killMaster(30_000, afterKill),
    destroy: () => sentinel.destroy(),
  };
}

async function clusterTopology(): Promise<Topology> {
  const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
  // The master of the first endpoint's queue: its deliveries are the ones at risk.
  const masterPort = () => cluster.masterOf(`${PREFIX}:{endpoint.all}:meta`);
  return {
    name: 'cluster',
    env: { HERALD_REDIS_CLUSTER_NODES: cluster.urls.join(',') },
    victim: async () => {
      const port = await masterPort();
      return { master: cluster.servers.find((server) => server.port === port)!, replica: (await cluster.replicasOf(port))[0]! };
    },
    killMaster: async (afterKill) => {
      await cluster.killMaster(await masterPort(), 30_000, afterKill);
    },
    destroy: () => cluster.destroy(),
  };
}

/**
 * Makes `master` drop its replicas' links now (CLIENT KILL TYPE replica): what was already
 * sent stays in the paused replica's socket buffer, what is written from now on reaches the
 * master alone, and the paused replica cannot link again.
 */
async function cutReplicaLink(master: RedisServer): Promise<void> {
  const client = new Redis(master.url);
  try {
    await client.client('KILL', 'TYPE', 'replica');
  } finally {
    client.disconnect();
  }
}

/** How long the replica lags (SIGSTOPped) before its master is killed: writes of that window exist on the master only. */
const LAG_MS = 1500;

const ENDPOINTS = ['all', 'second'] as const;

async function failover(topology: Topology, durability: 'acknowledged' | 'replicated'): Promise<void> {
  const random = SeededRandom.fromEnv();
  const teardown = new Teardown();
  teardown.add(`${topology.name} redis`, () => topology.destroy());
  try {
    const receivers = await Promise.all(ENDPOINTS.map(() => WebhookReceiver.start()));
    for (const receiver of receivers) teardown.add('receiver', () => receiver.close());
    const { HERALD_REDIS_URL: _standalone, ...base } = heraldEnv({
      redisUrl: 'redis://unused',
      prefix: PREFIX,
      endpoints: ENDPOINTS.map((name, n) => ({ name, url: receivers[n]!.url, backoff: '200ms' })),
    });
    const env = { ...base, ...topology.env, HERALD_REDIS_DURABILITY: durability, HERALD_WORKER_LOCK_DURATION_MS: '10000' };
    const worker = await startHerald('worker', env);
    teardown.addProcess('worker', () => worker);
    const ingest: HeraldProcess = await startHerald('ingest', env);
    teardown.addProcess('ingest', () => ingest);
    const url = /ingest: POST events to (http:\/\/\S+\/events)/.exec(ingest.output.join(''))![1]!;

    const events = chaosEvents(`failover-${topology.name}-${random.seed}`, EVENTS, random);
    const envelopes = envelopesOf(events, random, 3);
    const acknowledged = new Set<string>();
    let next = 0;
    let refused = 0;
    const writing = Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let index = next++; index < envelopes.length; index = next++) {
          refused += await postUntilAccepted(() => url, envelopes[index]!, 50);
          for (const event of envelopes[index]!) acknowledged.add(event.id);
        }
      }),
    );
    // Once a third is acknowledged: the replica lags, the endpoints stop taking deliveries
    // (so what is accepted now waits in the master's queues), and the master is killed.
    await waitUntil(() => next >= envelopes.length / 3, 120_000, 5);
    const { master, replica } = await topology.victim();
    for (const receiver of receivers) receiver.reply = () => ({ status: 503 });
    // A replica that is only SIGSTOPped still gets the master's writes later, from its
    // socket buffer; dropping its link as well leaves what is written from now on on the
    // master alone.
    replica.pause();
    await cutReplicaLink(master);
    const ackedBeforeLag = acknowledged.size;
    await sleep(LAG_MS);
    const ackedWhileReplicaLagged = acknowledged.size - ackedBeforeLag;
    const killedAt = Date.now();
    await topology.killMaster(() => replica.resume());
    const failoverMs = Date.now() - killedAt;
    for (const receiver of receivers) receiver.reply = () => ({ status: 200 });
    // Back as a replica of the new master: `replicated` writes need one again.
    await master.restart();
    await writing;

    const expected = new Set(events.map((event) => event.id));
    // With `acknowledged`, some events are gone for good: wait for the rest, then a little more.
    const drained = await waitUntil(() => receivers.every((receiver) => hasAll(receiver, expected)), durability === 'replicated' ? DRAIN_BOUND_MS : 20_000, 100);
    const audits = ENDPOINTS.map((name, n) => auditEndpoint(name, receivers[n]!, expected));
    recordFigures(`redis-failover-${topology.name}-${durability}`, {
      seed: random.seed,
      events: EVENTS,
      acknowledged: acknowledged.size,
      ackedBeforeLag,
      ackedWhileReplicaLagged,
      lagMs: LAG_MS,
      failoverMs,
      notAcknowledgedThenResent: refused,
      drained,
      statusAfter: drained ? undefined : (await runHerald(['status'], env)).stdout,
      lost: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.lost])),
      duplicates: Object.fromEntries(audits.map((audit) => [audit.endpoint, audit.duplicates])),
    });
    expect(acknowledged.size).toBe(EVENTS);
    expect(worker.child.exitCode, 'the worker carried on without a restart').toBeNull();
    expect(ingest.child.exitCode, 'ingest carried on without a restart').toBeNull();
    for (const audit of audits) expect(audit.unexpected, `endpoint ${audit.endpoint}`).toBe(0);
    if (durability === 'replicated') {
      for (const [n, audit] of audits.entries()) {
        expect(audit, `endpoint ${audit.endpoint}`).toMatchObject({ lost: 0 });
        expect(new Set(receivers[n]!.delivered)).toStrictEqual(expected);
      }
    } else {
      // What was acknowledged while the replica lagged existed on the killed master only.
      expect(ackedWhileReplicaLagged).toBeGreaterThan(0);
      expect(audits[0]!.lost).toBeGreaterThan(0);
    }
  } finally {
    const errors = await teardown.run();
    if (errors.length > 0) console.warn(`teardown: ${errors.join('; ')}`);
  }
}

describe('guarantee 1 through a Redis failover', () => {
  it('Sentinel, durability replicated: a master SIGKILL loses no acknowledged event', async () => {
    await failover(await sentinelTopology(), 'replicated');
  });

  it('Redis Cluster, durability replicated: a master SIGKILL loses no acknowledged event', async () => {
    await failover(await clusterTopology(), 'replicated');
  });

  it('Redis Cluster, durability acknowledged: counts what a master SIGKILL loses', async () => {
    await failover(await clusterTopology(), 'acknowledged');
  });
});
