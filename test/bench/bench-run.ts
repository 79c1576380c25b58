import { RECOMMENDED_HASH_MAX_LISTPACK_VALUE } from '@herald/producer';
import { RedisServer } from '../helpers/redis-server.js';
import { BATCH, type BenchPlan, type Section } from './bench-plan.js';
import { gotPostRate, redisRoundTrips, type RedisRoundTrips } from './client-limits.js';
import { fixedLoad, saturate, type LatencyRun, type SaturationRun } from './end-to-end-scenario.js';
import { ingestRate, type IngestResult } from './ingest-scenario.js';
import { measured, medianRun, repeat, round, type Measured } from './measured.js';
import { pendingMemory, type PendingMemory } from './memory-scenario.js';
import type { PipelineSettings, System } from './pipeline.js';
import { producerRate, queueAddRate } from './producer-scenario.js';
import type { ReceiverProcess } from './receiver-process.js';
import { RedisProbe } from './redis-probe.js';

/** The two Redis set-ups of the issue: no persistence, and an append-only file synced every second. */
export const PERSISTENCE = {
  none: [] as string[],
  everysec: ['--appendonly', 'yes', '--appendfsync', 'everysec'],
};
export type Persistence = keyof typeof PERSISTENCE;

/** One cell of the end-to-end throughput table, both systems, medians of the repetitions. */
export interface ThroughputCell {
  redis: Persistence;
  /** Deliveries in flight per endpoint per worker process, both systems. */
  concurrency: number;
  /** Herald's `maxbatch` (the baseline always sends one event per request). */
  maxBatch: number;
  workers: number;
  endpoints: number;
  herald: SaturationSummary;
  baseline: SaturationSummary;
  /** Herald events/s ÷ baseline events/s. */
  ratio: number;
}

/** A system's saturation figures: medians, and the Redis breakdown of its median run. */
export interface SaturationSummary {
  eventsPerS: Measured;
  deliveriesPerS: number;
  /** POST requests per event delivered, in the median run. */
  requestsPerEvent: number;
  workerCpuUsPerDelivery: number;
  receiverCpuUsPerDelivery: number;
  redisCallsPerEvent: number;
  redisScriptsPerEvent: number;
  redisCpuUsPerEvent: number;
  pipelineCpuUsPerEvent: Measured;
  /** CPU share (0–1, all cores) used by processes outside the benchmark during each run. */
  otherCpuShare: Measured;
  duplicates: number;
  redisCommandsPerEvent: { command: string; callsPerEvent: number; usecPerEvent: number }[];
}

/** A system's latency at one offered load: the offered rate achieved, and the medians of each percentile. */
export interface LatencySummaryRow {
  offeredPerS: number;
  p50: Measured;
  p95: Measured;
  p99: Measured;
  max: Measured;
  samples: number;
  /** POST requests per event, in the median run. */
  requestsPerEvent: number;
}

/** Every figure of one run, by section of the issue. */
export interface Measurements {
  /** Herald's producer, and the baseline's `Queue.add`, by 1 awaiting writer and by 64. */
  producer: Partial<Record<Persistence, { oneWriter: Measured; writers64: Measured; baselineOneWriter: Measured; baselineWriters64: Measured }>>;
  ingest: Partial<Record<Persistence, { envelopesPerS: Measured; p50Ms: number; p99Ms: number; refused: number }>>;
  throughput: ThroughputCell[];
  latency: { workers: number; rate: number; maxBatch: number; seconds: number; herald: LatencySummaryRow; baseline: LatencySummaryRow }[];
  memory: { herald: PendingMemory; baseline: PendingMemory; heraldListpack: PendingMemory } | undefined;
  http: { oneEndpoint: Measured; fourEndpoints: Measured } | undefined;
  redis: Partial<Record<Persistence, { serialPerS: Measured; pipelinedPerS: Measured; pipelinedSet1KbPerS: Measured; batch: number }>>;
}

function summarizeSaturation(runs: SaturationRun[], events: number): SaturationSummary {
  const mid = medianRun(runs, (run) => run.eventsPerS);
  return {
    eventsPerS: measured(runs.map((run) => run.eventsPerS)),
    deliveriesPerS: round(mid.deliveriesPerS),
    requestsPerEvent: round(mid.requestsPerEvent),
    workerCpuUsPerDelivery: round(mid.workerCpuUsPerDelivery),
    receiverCpuUsPerDelivery: round(mid.receiverCpuUsPerDelivery),
    redisCallsPerEvent: round(mid.redisCallsPerEvent),
    redisScriptsPerEvent: round(mid.redisScriptsPerEvent),
    redisCpuUsPerEvent: round(mid.redisCpuUsPerEvent),
    pipelineCpuUsPerEvent: measured(runs.map((run) => run.pipelineCpuUsPerEvent)),
    otherCpuShare: measured(runs.map((run) => run.otherCpuShare)),
    duplicates: runs.reduce((sum, run) => sum + run.duplicates, 0),
    redisCommandsPerEvent: mid.redis.commands.slice(0, 12).map((entry) => ({
      command: entry.command,
      callsPerEvent: round(entry.calls / events),
      usecPerEvent: round(entry.usec / events),
    })),
  };
}

function summarizeLatencyRuns(runs: LatencyRun[]): LatencySummaryRow {
  return {
    offeredPerS: round(medianRun(runs, (run) => run.offeredPerS).offeredPerS),
    p50: measured(runs.map((run) => run.latency.p50)),
    p95: measured(runs.map((run) => run.latency.p95)),
    p99: measured(runs.map((run) => run.latency.p99)),
    max: measured(runs.map((run) => run.latency.max)),
    samples: runs.reduce((sum, run) => sum + run.latency.samples, 0),
    requestsPerEvent: round(medianRun(runs, (run) => run.latency.p99).requestsPerEvent),
  };
}

/** Herald first on even repetitions, the baseline first on odd ones, so drift in the machine's load hits both alike. */
const order = (run: number): System[] => (run % 2 === 0 ? ['herald', 'baseline'] : ['baseline', 'herald']);

/** One private Redis and what every section needs to measure against it. */
interface Bench {
  persistence: Persistence;
  plan: BenchPlan;
  url: string;
  probe: RedisProbe;
  receiver: ReceiverProcess;
  into: Measurements;
  log: (line: string) => void;
}

const endpointsOf = (bench: Bench, count: number) => Array.from({ length: count }, (_, n) => bench.receiver.url(n));
const settingsOf = (bench: Bench, workers: number, endpoints: number, concurrency = bench.plan.concurrency, maxBatch = 1): PipelineSettings => ({
  redisUrl: bench.url,
  workers,
  endpoints: endpointsOf(bench, endpoints),
  concurrency,
  maxBatch,
});

/** One end-to-end throughput cell: worker processes, endpoints, concurrency and Herald's `maxbatch`. */
type Cell = { workers: number; endpoints: number; concurrency?: number; maxBatch?: number };

async function measureRedisLimits(bench: Bench): Promise<void> {
  const runs: RedisRoundTrips[] = [];
  for (let run = 0; run < bench.plan.repetitions; run += 1) runs.push(await redisRoundTrips(bench.url, bench.plan.redisCommands));
  const limits = {
    serialPerS: measured(runs.map((r) => r.serialPerS)),
    pipelinedPerS: measured(runs.map((r) => r.pipelinedPerS)),
    pipelinedSet1KbPerS: measured(runs.map((r) => r.pipelinedSet1KbPerS)),
    batch: runs[0]!.batch,
  };
  bench.into.redis[bench.persistence] = limits;
  bench.log(`  raw redis: serial PING ${Math.round(limits.serialPerS.median)}/s, pipelined SET 1 KB ${Math.round(limits.pipelinedSet1KbPerS.median)}/s`);
}

async function measureHttpLimit(bench: Bench): Promise<void> {
  const { concurrency, httpRequests, repetitions } = bench.plan;
  const one = await repeat(repetitions, () => gotPostRate(endpointsOf(bench, 1), concurrency, httpRequests));
  const four = await repeat(repetitions, () => gotPostRate(endpointsOf(bench, 4), concurrency, httpRequests));
  bench.into.http = { oneEndpoint: one, fourEndpoints: four };
  bench.log(`  raw got POST loop: ${Math.round(one.median)}/s (1 endpoint), ${Math.round(four.median)}/s (4 endpoints)`);
}

async function measureProducer(bench: Bench): Promise<void> {
  const { producerEvents, repetitions } = bench.plan;
  const runs = { herald1: [] as number[], herald64: [] as number[], baseline1: [] as number[], baseline64: [] as number[] };
  for (let run = 0; run < repetitions; run += 1) {
    for (const system of order(run)) {
      const rate = system === 'herald' ? producerRate : queueAddRate;
      runs[`${system}1` as const].push(await rate(bench.url, 1, producerEvents.one));
      runs[`${system}64` as const].push(await rate(bench.url, 64, producerEvents.many));
    }
  }
  const figures = { oneWriter: measured(runs.herald1), writers64: measured(runs.herald64), baselineOneWriter: measured(runs.baseline1), baselineWriters64: measured(runs.baseline64) };
  bench.into.producer[bench.persistence] = figures;
  bench.log(
    `  producer: 1 writer ${Math.round(figures.oneWriter.median)}/s (Queue.add ${Math.round(figures.baselineOneWriter.median)}/s), ` +
      `64 writers ${Math.round(figures.writers64.median)}/s (Queue.add ${Math.round(figures.baselineWriters64.median)}/s)`,
  );
}

async function measureIngest(bench: Bench): Promise<void> {
  const runs: IngestResult[] = [];
  for (let run = 0; run < bench.plan.repetitions; run += 1) runs.push(await ingestRate(bench.url, 64, bench.plan.ingestEnvelopes));
  const mid = medianRun(runs, (run) => run.envelopesPerS);
  const ingest = {
    envelopesPerS: measured(runs.map((run) => run.envelopesPerS)),
    p50Ms: mid.latency.p50,
    p99Ms: mid.latency.p99,
    refused: runs.reduce((sum, run) => sum + run.refused, 0),
  };
  bench.into.ingest[bench.persistence] = ingest;
  bench.log(`  ingest: ${Math.round(ingest.envelopesPerS.median)} envelopes/s`);
}

async function measureThroughput(bench: Bench, cells: Cell[]): Promise<void> {
  for (const { workers, endpoints, concurrency = bench.plan.concurrency, maxBatch = 1 } of cells) {
    // Batching drains a backlog several times faster: a larger one keeps the run long enough to time.
    const events = Math.round((bench.plan.saturationDeliveries * (maxBatch > 1 ? 4 : 1)) / endpoints);
    const runs: Record<System, SaturationRun[]> = { herald: [], baseline: [] };
    for (let run = 0; run < bench.plan.repetitions; run += 1) {
      for (const system of order(run)) runs[system].push(await saturate(system, settingsOf(bench, workers, endpoints, concurrency, maxBatch), events, bench.receiver, bench.probe));
    }
    const herald = summarizeSaturation(runs.herald, events);
    const baseline = summarizeSaturation(runs.baseline, events);
    const ratio = round(herald.eventsPerS.median / baseline.eventsPerS.median);
    bench.into.throughput.push({ redis: bench.persistence, concurrency, maxBatch, workers, endpoints, herald, baseline, ratio });
    const batch = maxBatch > 1 ? `, maxbatch ${maxBatch} (${herald.requestsPerEvent} requests/event)` : '';
    bench.log(`  end to end ${workers}w × ${endpoints}e, concurrency ${concurrency}${batch}: herald ${Math.round(herald.eventsPerS.median)} events/s, baseline ${Math.round(baseline.eventsPerS.median)} events/s (${ratio}×)`);
  }
}

async function measureLatency(bench: Bench): Promise<void> {
  const seconds = bench.plan.latencySeconds;
  for (const { workers, rate, maxBatch } of bench.plan.latency) {
    const runs: Record<System, LatencyRun[]> = { herald: [], baseline: [] };
    for (let run = 0; run < bench.plan.repetitions; run += 1) {
      for (const system of order(run)) runs[system].push(await fixedLoad(system, settingsOf(bench, workers, 1, undefined, maxBatch), rate, seconds, bench.receiver));
    }
    const latency = { workers, rate, maxBatch, seconds, herald: summarizeLatencyRuns(runs.herald), baseline: summarizeLatencyRuns(runs.baseline) };
    bench.into.latency.push(latency);
    bench.log(`  latency ${workers}w at ${rate}/s${maxBatch > 1 ? `, maxbatch ${maxBatch}` : ''}: herald p99 ${latency.herald.p99.median} ms, baseline p99 ${latency.baseline.p99.median} ms`);
  }
}

async function measureMemory(bench: Bench): Promise<void> {
  const herald = await pendingMemory('herald', settingsOf(bench, 1, 1), bench.plan.memoryEvents, bench.probe);
  const baseline = await pendingMemory('baseline', settingsOf(bench, 1, 1), bench.plan.memoryEvents, bench.probe);
  // Redis as Herald recommends it (docker-compose, Kubernetes, herald start): job hashes are compact listpacks.
  const listpack = await RedisServer.start({ args: ['--hash-max-listpack-value', String(RECOMMENDED_HASH_MAX_LISTPACK_VALUE)] });
  const listpackProbe = new RedisProbe(listpack.url);
  let heraldListpack: PendingMemory;
  try {
    const events = Math.min(bench.plan.memoryEvents, 20_000);
    heraldListpack = await pendingMemory('herald', { ...settingsOf(bench, 1, 1), redisUrl: listpack.url }, events, listpackProbe);
  } finally {
    await listpackProbe.close();
    await listpack.destroy();
  }
  bench.into.memory = { herald, baseline, heraldListpack };
  bench.log(`  memory per pending delivery: herald ${Math.round(herald.bytesPerPending)} B, baseline ${Math.round(baseline.bytesPerPending)} B, herald with hash-max-listpack-value ${RECOMMENDED_HASH_MAX_LISTPACK_VALUE} ${Math.round(heraldListpack.bytesPerPending)} B`);
}

/**
 * Measures the sections of the plan against one new private Redis of the given
 * persistence; returns its version. Without persistence: everything. With `everysec`:
 * raw Redis, producer, ingest and the 1 worker × 1 endpoint end-to-end cell.
 */
export async function measureOn(persistence: Persistence, plan: BenchPlan, receiver: ReceiverProcess, into: Measurements, log: (line: string) => void): Promise<string> {
  const server = await RedisServer.start({ args: PERSISTENCE[persistence] });
  const probe = new RedisProbe(server.url);
  const bench: Bench = { persistence, plan, url: server.url, probe, receiver, into, log };
  const wants = (section: Section) => plan.sections.has(section);
  const full = persistence === 'none';
  try {
    const version = await probe.version();
    log(`redis ${version}, persistence ${persistence}`);
    if (wants('baselines')) await measureRedisLimits(bench);
    if (wants('baselines') && full) await measureHttpLimit(bench);
    if (wants('producer')) await measureProducer(bench);
    if (wants('ingest')) await measureIngest(bench);
    if (wants('throughput')) {
      const cell = (workers: number, endpoints: number, concurrency?: number, maxBatch?: number): Cell => ({ workers, endpoints, concurrency, maxBatch });
      await measureThroughput(
        bench,
        full
          ? [cell(1, 1), cell(1, 1, 64), cell(2, 1), cell(1, 4), cell(2, 4), cell(1, 1, undefined, BATCH), cell(1, 4, undefined, BATCH)]
          : [cell(1, 1)],
      );
    }
    if (wants('latency') && full) await measureLatency(bench);
    if (wants('memory') && full) await measureMemory(bench);
    return version;
  } finally {
    await probe.close();
    await server.destroy();
  }
}
