import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeraldProcess, runHerald } from '../helpers/herald-process.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * Herald on a real Redis Cluster (3 masters, 3 replicas, on loopback): each endpoint's
 * queue in a slot of its own, spread over the masters; every accepted event delivered to
 * every endpoint, also when the worker is SIGKILLed mid-stream.
 */

const V1 = 'application/vnd.docker.distribution.events.v1+json';
const NAMES = ['audit', 'billing', 'search'] as const;
let cluster: RedisCluster;
const receivers = new Map<string, WebhookReceiver>();
const processes: HeraldProcess[] = [];
let env: Record<string, string>;

function start(args: string[], extra: Record<string, string> = {}): HeraldProcess {
  const herald = new HeraldProcess(args, { ...env, ...extra });
  processes.push(herald);
  return herald;
}

/** The ingest base URL a started process printed. */
function ingestBase(herald: HeraldProcess): string {
  return /ingest: POST events to (http:\/\/[^/]+)\/events/.exec(herald.output.join(''))![1]!;
}

async function post(base: string, ids: string[]): Promise<void> {
  const events = ids.map((id) => ({ id, timestamp: new Date().toISOString(), action: 'push', target: { repository: 'team/app', tag: id } }));
  const response = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': V1 }, body: JSON.stringify({ events }) });
  expect(response.status).toBe(202);
}

/** Waits until every receiver holds every id of `ids`, and checks none holds another. */
async function deliveredEverywhere(ids: readonly string[], timeoutMs = 60_000): Promise<void> {
  for (const receiver of receivers.values()) {
    await receiver.until(() => ids.every((id) => receiver.delivered.includes(id)), timeoutMs);
  }
}

beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
  for (const name of NAMES) receivers.set(name, await WebhookReceiver.start());
  env = {
    HERALD_REDIS_CLUSTER_NODES: cluster.urls.slice(0, 2).join(','),
    HERALD_REDIS_PREFIX: 'herald',
    HERALD_HTTP_PORT: '0',
    HERALD_ENDPOINTS: JSON.stringify(NAMES.map((name) => ({ name, url: receivers.get(name)!.url, backoff: '200ms' }))),
  };
}, 90_000);

afterAll(async () => {
  await Promise.all(processes.map((herald) => herald.stop('SIGKILL')));
  await Promise.all([...receivers.values()].map((receiver) => receiver.close()));
  await cluster?.destroy();
});

describe('herald on a Redis Cluster', () => {
  it('says which Redis it uses', async () => {
    const checked = await runHerald(['config', 'check'], env);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain(`; redis cluster ${cluster.urls.slice(0, 2).join(', ')} prefix "herald";`);
  });

  it('delivers every accepted event to every endpoint, with the queues spread over the masters', async () => {
    const herald = start(['start']);
    await herald.waitFor('health: ');
    const base = ingestBase(herald);
    const ids = Array.from({ length: 60 }, (_, n) => `cluster-${n}`);
    for (let n = 0; n < ids.length; n += 3) await post(base, ids.slice(n, n + 3));
    await deliveredEverywhere(ids);
    for (const receiver of receivers.values()) expect(new Set(receiver.delivered)).toStrictEqual(new Set(ids));

    // Each queue's keys share the hash tag {endpoint.<name>}, so they all sit on the master of
    // that slot, and the three queues spread over at least two masters.
    const holders = new Map<string, Set<number>>();
    for (const port of await cluster.masterPorts()) {
      for (const key of await cluster.keysOn(port, 'herald:*')) {
        const queue = /^herald:\{endpoint\.(\w+)\}:/.exec(key)?.[1];
        if (queue !== undefined) holders.set(queue, new Set([...(holders.get(queue) ?? []), port]));
      }
    }
    expect([...holders.keys()].sort()).toStrictEqual([...NAMES]);
    for (const name of NAMES) expect(holders.get(name)!.size, `${name}'s keys on one master`).toBe(1);
    expect(new Set([...holders.values()].map((ports) => [...ports][0])).size).toBeGreaterThanOrEqual(2);
    const status = await runHerald(['status'], env);
    expect(status.code).toBe(0);
    for (const name of NAMES) expect(status.stdout).toMatch(new RegExp(`^${name}\\b`, 'm'));
    await herald.stop();
  });

  it('loses nothing when the worker is SIGKILLed mid-stream', async () => {
    const ingest = start(['ingest']);
    await ingest.waitFor('ingest: POST events to');
    const base = ingestBase(ingest);
    // Slow answers keep deliveries in flight when the kill comes.
    for (const receiver of receivers.values()) receiver.reply = () => ({ status: 200, delayMs: 30 });
    const worker = start(['worker'], { HERALD_WORKER_LOCK_DURATION_MS: '10000' });
    await worker.waitFor('worker: delivering to');
    const ids = Array.from({ length: 90 }, (_, n) => `crash-${n}`);
    const sending = (async () => {
      for (let n = 0; n < ids.length; n += 3) await post(base, ids.slice(n, n + 3));
    })();
    await receivers.get('audit')!.until(() => receivers.get('audit')!.delivered.some((id) => id.startsWith('crash-')));
    await worker.stop('SIGKILL');
    await sending;
    const second = start(['worker'], { HERALD_WORKER_LOCK_DURATION_MS: '10000' });
    await second.waitFor('worker: delivering to');
    await deliveredEverywhere(ids, 90_000);
    for (const receiver of receivers.values()) {
      const delivered = new Set(receiver.delivered.filter((id) => id.startsWith('crash-')));
      expect(delivered).toStrictEqual(new Set(ids));
    }
  });
});
