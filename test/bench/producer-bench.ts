/**
 * Producer throughput: durable enqueue rate with one writer awaiting each write,
 * and with 64 concurrent writers, against a private redis-server (no persistence,
 * then appendfsync everysec). Run: npx tsx test/bench/producer-bench.ts [--quick]
 */
import { createProducer } from '@herald/producer';
import type { Event } from '@herald/events';
import { RedisServer } from '../helpers/redis-server.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 5;
const EVENTS = quick ? 2_000 : 20_000;

function event(n: number): Event {
  return {
    id: `bench-${process.pid}-${n}-${Math.random().toString(36).slice(2)}`,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 1234,
      digest: 'sha256:812b0aad7519d739f876b9e130be60a9e2266b673a0b3c02532514d626d3a519',
      length: 1234,
      repository: 'bench/app',
      url: 'http://registry.example/v2/bench/app/manifests/sha256:812b0aad7519d739f876b9e130be60a9e2266b673a0b3c02532514d626d3a519',
      tag: 'latest',
    },
    request: { id: 'req', addr: '10.0.0.1:1234', host: 'registry.example', method: 'PUT', useragent: 'bench' },
    actor: { name: 'bench' },
    source: { addr: 'node-1:5000', instanceID: 'bench' },
  };
}

async function rate(url: string, writers: number): Promise<number> {
  const producer = createProducer({ redis: url, prefix: `bench${writers}` });
  await producer.ready();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < EVENTS) await producer.write(event(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return EVENTS / seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const [label, args] of [
  ['no persistence', []],
  ['appendfsync everysec', ['--appendonly', 'yes', '--appendfsync', 'everysec']],
] as const) {
  const server = await RedisServer.start({ args: [...args] });
  try {
    for (const writers of [1, 64]) {
      const rates: number[] = [];
      for (let run = 0; run < RUNS; run += 1) {
        await rate(server.url, writers).then((r) => rates.push(r));
      }
      console.log(`${label.padEnd(22)} writers=${String(writers).padStart(2)}  median ${Math.round(median(rates))} events/s  (runs: ${rates.map(Math.round).join(', ')})`);
    }
  } finally {
    await server.destroy();
  }
}
