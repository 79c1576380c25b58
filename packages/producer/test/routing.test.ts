import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { deleteKeys, REDIS_URL, testPrefix } from '../../../test/helpers/redis-keys.js';
import {
  createProducer,
  deliveryEvents,
  endpointQueueName,
  envelopeJobId,
  INGRESS_QUEUE,
  publishRoutes,
  readKnownEndpoints,
  routingTable,
  type DeliveryJobData,
  type Producer,
  type Route,
} from '../src/index.js';

const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

function event(id: string, action = 'push', mediaType = 'application/vnd.oci.image.manifest.v1+json'): Event {
  return {
    id,
    timestamp: '2026-11-28T02:15:00.146778322Z',
    action,
    target: { mediaType, size: 401, digest: 'sha256:812b', repository: 'demo/hello', tag: 'v1' },
    request: { id: `r-${id}`, addr: '127.0.0.1:5000', host: 'registry', method: 'PUT', useragent: 'test' },
    actor: {},
    source: { addr: 'node-1:5000', instanceID: 'instance-1' },
  };
}

const route = (name: string, ignore: Partial<Route['ignore']> = {}): Route => ({ name, ignore: { mediaTypes: ignore.mediaTypes ?? [], actions: ignore.actions ?? [] } });

let prefix: string;
let redis: Redis;
let producer: Producer;
const queues: Queue[] = [];

beforeEach(() => {
  prefix = testPrefix();
  redis = new Redis(REDIS_URL);
  producer = createProducer({ redis: REDIS_URL, prefix });
});

afterEach(async () => {
  await producer.close();
  await Promise.all(queues.splice(0).map((queue) => queue.close()));
  redis.disconnect();
  await deleteKeys(REDIS_URL, prefix);
});

function queue(name: string): Queue {
  const handle = new Queue(name, { connection: { url: REDIS_URL }, prefix });
  queues.push(handle);
  return handle;
}

/** Every job of a queue: its id and the event ids it holds. */
async function jobsOf(name: string): Promise<{ id: string; eventIds: string[] }[]> {
  const jobs = await queue(name).getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized', 'paused']);
  return jobs
    .map((job) => ({ id: job.id!, eventIds: ('events' in job.data && !('z' in job.data) ? (job.data as { events: Event[] }).events : deliveryEvents(job.data as DeliveryJobData)).map((e) => e.id) }))
    .sort((a, b) => (a.eventIds[0]! < b.eventIds[0]! ? -1 : 1));
}

describe('producer with published routes', () => {
  it('adds one delivery job per endpoint whose filter keeps an event, and nothing to the ingress queue', async () => {
    await publishRoutes(redis, prefix, routingTable([route('all'), route('no-pulls', { actions: ['pull'] }), route('no-layers', { mediaTypes: [LAYER] })]));
    await producer.write(event('a'), event('b', 'pull'));
    await producer.write(event('c', 'pull', LAYER));
    await producer.write(event('d', 'push', LAYER));
    expect(await jobsOf(endpointQueueName('all'))).toStrictEqual([
      { id: envelopeJobId([{ id: 'a' }, { id: 'b' }]), eventIds: ['a', 'b'] },
      { id: envelopeJobId([{ id: 'c' }]), eventIds: ['c'] },
      { id: envelopeJobId([{ id: 'd' }]), eventIds: ['d'] },
    ]);
    expect(await jobsOf(endpointQueueName('no-pulls'))).toStrictEqual([
      { id: envelopeJobId([{ id: 'a' }, { id: 'b' }]), eventIds: ['a'] },
      { id: envelopeJobId([{ id: 'd' }]), eventIds: ['d'] },
    ]);
    expect(await jobsOf(endpointQueueName('no-layers'))).toStrictEqual([{ id: envelopeJobId([{ id: 'a' }, { id: 'b' }]), eventIds: ['a', 'b'] }]);
    expect(await jobsOf(INGRESS_QUEUE)).toStrictEqual([]);
  });

  it('keeps each event exactly as written, compressed', async () => {
    await publishRoutes(redis, prefix, routingTable([route('all')]));
    const written = event('exact');
    await producer.write(written);
    const [job] = await queue(endpointQueueName('all')).getJobs(['waiting']);
    expect(deliveryEvents(job!.data as DeliveryJobData)).toStrictEqual([written]);
    expect(JSON.stringify(job!.data).length).toBeLessThan(JSON.stringify(written).length);
  });

  it('adds the same events written twice only once per endpoint', async () => {
    await publishRoutes(redis, prefix, routingTable([route('one'), route('two')]));
    await producer.write(event('x'), event('y'));
    await producer.write(event('x'), event('y'));
    await Promise.all([producer.write(event('z')), producer.write(event('z'))]);
    for (const name of ['one', 'two']) expect((await jobsOf(endpointQueueName(name))).map((job) => job.eventIds)).toStrictEqual([['x', 'y'], ['z']]);
  });

  it('sends envelopes to the ingress queue while no worker has published routes', async () => {
    await producer.write(event('early'));
    expect(await jobsOf(INGRESS_QUEUE)).toStrictEqual([{ id: envelopeJobId([{ id: 'early' }]), eventIds: ['early'] }]);
  });

  it('routes every write that starts after routes are published or changed', async () => {
    await producer.ready();
    // Routes appear after the producer read "none": the write that notices still lands (in ingress), later ones are routed.
    await publishRoutes(redis, prefix, routingTable([route('first')]));
    await producer.write(event('noticed'));
    await producer.write(event('routed'));
    expect((await jobsOf(INGRESS_QUEUE)).map((job) => job.eventIds)).toStrictEqual([['noticed']]);
    expect((await jobsOf(endpointQueueName('first'))).map((job) => job.eventIds)).toStrictEqual([['routed']]);
    // An endpoint is added: the very next write reaches it too, without a restart.
    await publishRoutes(redis, prefix, routingTable([route('first'), route('added')]));
    await producer.write(event('after'));
    expect((await jobsOf(endpointQueueName('added'))).map((job) => job.eventIds)).toStrictEqual([['after']]);
    expect((await jobsOf(endpointQueueName('first'))).map((job) => job.eventIds)).toStrictEqual([['after'], ['routed']]);
    // An endpoint is removed: no new deliveries for it; its name stays known for `herald status`.
    await publishRoutes(redis, prefix, routingTable([route('added')]));
    await producer.write(event('noticed-removal'));
    await producer.write(event('last'));
    expect((await jobsOf(endpointQueueName('first'))).map((job) => job.eventIds)).toStrictEqual([['after'], ['noticed-removal'], ['routed']]);
    expect((await jobsOf(endpointQueueName('added'))).map((job) => job.eventIds)).toStrictEqual([['after'], ['last'], ['noticed-removal']]);
    expect(await readKnownEndpoints(redis, prefix)).toStrictEqual(['added', 'first']);
  });
});
