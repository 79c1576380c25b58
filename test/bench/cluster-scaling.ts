/**
 * How Herald's Redis work spreads over the masters of a Redis Cluster, as workers are added
 * (npm run bench:cluster). A private 3-master cluster on loopback; 6 endpoints, whose queues
 * land on the masters by their hash tags; one receiver process answering 200. For 1 and 2
 * `herald worker` processes, a producer writes the same number of events, and the run
 * measures delivered events per second and, per master, Redis CPU and commands.
 *
 * On a 2-core machine the absolute rates say little (Redis, workers, producer and receiver
 * share the cores); what it shows is the spread: each master's share of the Redis work.
 * Writes test/bench/results-cluster.json.
 */
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { connectRedis, createProducer, endpointQueueName, PRODUCER_REDIS_OPTIONS } from '@herald/producer';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { benchEvent, eventIds } from './bench-event.js';
import { endpointName, startHeraldWorkers, stopAll } from './herald-fleet.js';
import { ReceiverProcess } from './receiver-process.js';

const ENDPOINTS = 6;
const EVENTS = Number(process.env['HERALD_BENCH_CLUSTER_EVENTS'] ?? 3000);
const WORKER_COUNTS = [1, 2];
const PREFIX = 'herald';

interface MasterSample {
  cpuMs: number;
  commands: number;
}

async function sample(port: number): Promise<MasterSample> {
  const redis = new Redis(port, '127.0.0.1');
  try {
    const [cpu, stats] = await Promise.all([redis.info('cpu'), redis.info('stats')]);
    const field = (text: string, name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
    return { cpuMs: (field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys')) * 1000, commands: field(stats, 'total_commands_processed') };
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0 });
  const receiver = await ReceiverProcess.start();
  const results: unknown[] = [];
  try {
    const masters = await cluster.masterPorts();
    const queuesByMaster: Record<string, string[]> = {};
    for (let n = 0; n < ENDPOINTS; n += 1) {
      const port = await cluster.masterOf(`${PREFIX}:${endpointQueueName(endpointName(n), true)}:meta`);
      (queuesByMaster[port] ??= []).push(endpointName(n));
    }
    const routesMaster = await cluster.masterOf(`${PREFIX}:routes`);
    console.log(`cluster: masters ${masters.join(', ')}; queues by master ${JSON.stringify(queuesByMaster)}; routes on ${routesMaster}`);
    const settings = {
      redisUrl: cluster.urls[0]!,
      redisEnv: { HERALD_REDIS_CLUSTER_NODES: cluster.urls.join(',') },
      prefix: PREFIX,
      concurrency: 10,
      endpoints: Array.from({ length: ENDPOINTS }, (_, n) => receiver.url(n)),
    };
    for (const workers of WORKER_COUNTS) {
      const fleet = await startHeraldWorkers(settings, workers);
      // The producer's own client, so that its reads of the routes (HGET herald:routes version,
      // one per round trip: the accept side's one shared key) can be counted.
      const client = connectRedis({ mode: 'cluster', url: '', cluster: { nodes: cluster.urls }, sentinel: { name: '', nodes: [] } }, PRODUCER_REDIS_OPTIONS);
      let routesReads = 0;
      const hget = client.hget.bind(client);
      client.hget = ((...args: Parameters<typeof hget>) => {
        routesReads += 1;
        return hget(...args);
      }) as typeof client.hget;
      const producer = createProducer({ redis: client, prefix: PREFIX });
      try {
        await producer.ready();
        await receiver.reset();
        routesReads = 0;
        const before = await Promise.all(masters.map(sample));
        const started = performance.now();
        const id = eventIds(`cluster-${workers}w-${Date.now()}`);
        // 16 writers, one event per write, as registry nodes would.
        let next = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            for (let n = next++; n < EVENTS; n = next++) await producer.write(benchEvent(id(n)));
          }),
        );
        const accepted = performance.now();
        const tally = await receiver.waitFor(EVENTS * ENDPOINTS, 10 * 60_000);
        const seconds = (performance.now() - started) / 1000;
        const after = await Promise.all(masters.map(sample));
        const cpuMs = masters.map((_, i) => after[i]!.cpuMs - before[i]!.cpuMs);
        const commands = masters.map((_, i) => after[i]!.commands - before[i]!.commands);
        const totalCpu = cpuMs.reduce((sum, value) => sum + value, 0);
        const result = {
          workers,
          events: EVENTS,
          deliveries: tally.events,
          duplicates: tally.duplicates,
          acceptPerSecond: Math.round(EVENTS / ((accepted - started) / 1000)),
          deliveriesPerSecond: Math.round(tally.events / seconds),
          masters: masters.map((port, i) => ({
            port,
            queues: queuesByMaster[port] ?? [],
            cpuMs: Math.round(cpuMs[i]!),
            cpuShare: Number((cpuMs[i]! / totalCpu).toFixed(2)),
            commands: commands[i],
          })),
          redisCpuMsPerDelivery: Number((totalCpu / tally.events).toFixed(3)),
          // The accept side's one shared key: reads of the routes' version, one per producer round trip.
          routesMaster,
          routesReadsPerSecond: Math.round(routesReads / ((accepted - started) / 1000)),
          eventsPerRoutesRead: Number((EVENTS / Math.max(1, routesReads)).toFixed(2)),
        };
        console.log(JSON.stringify(result));
        results.push(result);
      } finally {
        await producer.close();
        client.disconnect();
        await stopAll(fleet);
      }
      // The next run starts from empty queues.
      await Promise.all(masters.map(async (port) => {
        const redis = new Redis(port, '127.0.0.1');
        await redis.flushall();
        redis.disconnect();
      }));
    }
  } finally {
    await receiver.stop();
    await cluster.destroy();
  }
  writeFileSync(new URL('./results-cluster.json', import.meta.url), `${JSON.stringify({ recordedAt: new Date().toISOString(), results }, null, 2)}\n`);
}

await main();
