import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { BenchPlan } from './bench-plan.js';
import type { Measurements, ThroughputCell } from './bench-run.js';
import { RECOMMENDED_HASH_MAX_LISTPACK_VALUE } from '@herald/producer';
import { BENCH_EVENT_BYTES } from './bench-event.js';
import { round } from './measured.js';

/** One target of the issue and whether this run met it. */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** The installed version of a dependency, from node_modules (some packages do not export their package.json). */
function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The machine the figures come from. */
export function machine(redisVersion: string) {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: redisVersion,
    bullmq: versionOf('bullmq'),
    ioredis: versionOf('ioredis'),
    got: versionOf('got'),
    loadAverageAtStart: os.loadavg().map(round),
  };
}

/** Herald ÷ baseline, and Herald ÷ the raw limits, for every pair the run measured. */
export function ratios(m: Measurements): Record<string, number> {
  const r: Record<string, number> = {};
  for (const cell of m.throughput) r[`endToEnd.${cell.redis}.${cellName(cell)}.heraldOverBaseline`] = cell.ratio;
  const cpu = m.throughput.find((cell) => cell.redis === 'none' && cell.workers === 1 && cell.endpoints === 1 && cell.maxBatch === 1);
  if (cpu !== undefined) {
    r['workerCpuPerDelivery.1w1e.heraldOverBaseline'] = round(cpu.herald.workerCpuUsPerDelivery / cpu.baseline.workerCpuUsPerDelivery);
    r['redisCallsPerEvent.1w1e.heraldOverBaseline'] = round(cpu.herald.redisCallsPerEvent / cpu.baseline.redisCallsPerEvent);
    r['redisCpuPerEvent.1w1e.heraldOverBaseline'] = round(cpu.herald.redisCpuUsPerEvent / cpu.baseline.redisCpuUsPerEvent);
    r['pipelineCpuPerEvent.1w1e.heraldOverBaseline'] = round(cpu.herald.pipelineCpuUsPerEvent.median / cpu.baseline.pipelineCpuUsPerEvent.median);
    if (m.http !== undefined) r['endToEnd.1w1e.heraldOverGotLoop'] = round(cpu.herald.deliveriesPerS / m.http.oneEndpoint.median);
  }
  const four = m.throughput.find((cell) => cell.redis === 'none' && cell.workers === 1 && cell.endpoints === 4 && cell.maxBatch === 1);
  if (four !== undefined && m.http !== undefined) r['endToEnd.1w4e.heraldDeliveriesOverGotLoop'] = round(four.herald.deliveriesPerS / m.http.fourEndpoints.median);
  for (const row of m.latency) r[`latencyP99.${row.workers}w.${row.rate}PerS.mb${row.maxBatch}.heraldOverBaseline`] = round(row.herald.p99.median / row.baseline.p99.median);
  const batched = batchedLatency(m);
  if (batched !== undefined) r['latencyP99.1w.1000PerS.maxbatch32OverMaxbatch1'] = round(batched.on.herald.p99.median / batched.off.herald.p99.median);
  if (m.memory !== undefined) r['memoryPerPending.heraldOverBaseline'] = round(m.memory.herald.bytesPerPending / m.memory.baseline.bytesPerPending);
  for (const persistence of ['none', 'everysec'] as const) {
    const producer = m.producer[persistence];
    const redis = m.redis[persistence];
    if (producer !== undefined && redis !== undefined) {
      r[`producer.${persistence}.oneWriterOverQueueAdd`] = round(producer.oneWriter.median / producer.baselineOneWriter.median);
      r[`producer.${persistence}.writers64OverQueueAdd`] = round(producer.writers64.median / producer.baselineWriters64.median);
      r[`producer.${persistence}.oneWriterOverSerialRoundTrips`] = round(producer.oneWriter.median / redis.serialPerS.median);
      r[`producer.${persistence}.writers64OverPipelinedSet1Kb`] = round(producer.writers64.median / redis.pipelinedSet1KbPerS.median);
    }
    const ingest = m.ingest[persistence];
    if (ingest !== undefined && producer !== undefined) r[`ingest.${persistence}.overProducer64`] = round(ingest.envelopesPerS.median / producer.writers64.median);
  }
  return r;
}

/** A cell's name in ratios and labels: `1w1e.c10`, `1w4e.c10.mb32`. */
const cellName = (cell: ThroughputCell) => `${cell.workers}w${cell.endpoints}e.c${cell.concurrency}${cell.maxBatch > 1 ? `.mb${cell.maxBatch}` : ''}`;

/** The 1-worker latency rows at 1,000 events/s with batching on and off, when the run has both. */
function batchedLatency(m: Measurements) {
  const at = (maxBatch: (n: number) => boolean) => m.latency.find((row) => row.workers === 1 && row.rate === 1_000 && maxBatch(row.maxBatch));
  const on = at((n) => n > 1);
  const off = at((n) => n === 1);
  return on !== undefined && off !== undefined ? { on, off } : undefined;
}

/** The batching issue's targets (#11), judged on this run. */
function batchTargets(m: Measurements): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const label = (cell: ThroughputCell) => `${cell.ratio}× (${num(cell.herald.eventsPerS.median)} vs ${num(cell.baseline.eventsPerS.median)} events/s, ${cell.herald.requestsPerEvent} requests/event)`;
  for (const [endpoints, floor] of [
    [1, 3],
    [4, 2],
  ] as const) {
    const cell = m.throughput.find((c) => c.redis === 'none' && c.maxBatch > 1 && c.endpoints === endpoints);
    if (cell === undefined) continue;
    checks.push({
      target: `maxbatch ${cell.maxBatch}, backlog: end to end ≥ ${floor}× the hand-written pipeline with ${endpoints} endpoint${endpoints === 1 ? '' : 's'}`,
      measured: label(cell),
      met: cell.ratio >= floor,
    });
  }
  const batched = batchedLatency(m);
  if (batched !== undefined) {
    checks.push({
      target: `p99 at 1,000 events/s with maxbatch ${batched.on.maxBatch} no worse than with maxbatch 1`,
      measured: `${batched.on.herald.p99.median} ms vs ${batched.off.herald.p99.median} ms (${batched.on.herald.requestsPerEvent} vs ${batched.off.herald.requestsPerEvent} requests/event)`,
      met: batched.on.herald.p99.median <= batched.off.herald.p99.median,
    });
  }
  return checks;
}

/** The one-hop (#10) and batching (#11) issues' targets, judged on this run. */
export function targets(m: Measurements): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const cells = m.throughput.filter((cell) => cell.redis === 'none' && cell.maxBatch === 1);
  const label = (cell: ThroughputCell) => `${cell.workers}w×${cell.endpoints}e c${cell.concurrency} ${cell.ratio}×`;
  const one = cells.filter((cell) => cell.endpoints === 1);
  if (one.length > 0) {
    checks.push({
      target: 'end to end ≥ 1.0× the hand-written BullMQ pipeline with 1 endpoint, at concurrency 10 and 64',
      measured: one.map(label).join(', '),
      met: one.every((cell) => cell.ratio >= 1),
    });
  }
  const four = cells.filter((cell) => cell.endpoints === 4);
  if (four.length > 0) {
    checks.push({
      target: 'end to end ≥ 0.9× the hand-written pipeline with 4 endpoints',
      measured: four.map(label).join(', '),
      met: four.every((cell) => cell.ratio >= 0.9),
    });
  }
  const atTarget = m.latency.filter((row) => row.rate === 1_000 && row.maxBatch === 1);
  if (atTarget.length > 0) {
    checks.push({
      target: 'p99 accepted → 2xx at 1,000 events/s ≤ 1.5× the baseline p99 of the same run, and ≤ 25 ms',
      measured: atTarget.map((row) => `${row.workers}w ${row.herald.p99.median} ms vs ${row.baseline.p99.median} ms (${round(row.herald.p99.median / row.baseline.p99.median)}×)`).join(', '),
      met: atTarget.every((row) => row.herald.p99.median <= 1.5 * row.baseline.p99.median && row.herald.p99.median <= 25),
    });
  }
  if (m.memory !== undefined) {
    checks.push({
      target: `Redis memory ≤ 1,024 B per pending delivery of a ${BENCH_EVENT_BYTES}-byte event`,
      measured: `${Math.round(m.memory.herald.bytesPerPending)} B (baseline ${Math.round(m.memory.baseline.bytesPerPending)} B)`,
      met: m.memory.herald.bytesPerPending <= 1024,
    });
  }
  for (const persistence of ['none', 'everysec'] as const) {
    const producer = m.producer[persistence];
    if (producer === undefined) continue;
    const many = round(producer.writers64.median / producer.baselineWriters64.median);
    const single = round(producer.oneWriter.median / producer.baselineOneWriter.median);
    checks.push({
      target: `producer ≥ 1.0× raw Queue.add with 64 writers, ≥ 0.9× with 1 (redis ${persistence})`,
      measured: `64 writers ${num(producer.writers64.median)} vs ${num(producer.baselineWriters64.median)} events/s (${many}×), 1 writer ${num(producer.oneWriter.median)} vs ${num(producer.baselineOneWriter.median)} (${single}×)`,
      met: many >= 1 && single >= 0.9,
    });
  }
  return [...checks, ...batchTargets(m)];
}

const pad = (text: string | number, width: number) => String(text).padStart(width);
const num = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

/** Widths of the end-to-end table's columns. */
const THROUGHPUT_WIDTHS = [21, 7, 8, 7, 8, 13, 11, 11, 13, 9];

function throughputRow(cell: ThroughputCell): string {
  const pair = (h: number | string, b: number | string, width: number) => `${pad(h, width)} ${pad(b, width)}`;
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  return [
    `${cell.redis.padEnd(8)} ${cell.workers}w×${cell.endpoints}e c${cell.concurrency}${cell.maxBatch > 1 ? ` mb${cell.maxBatch}` : ''}`.padEnd(21),
    pad(num(cell.herald.eventsPerS.median), 7),
    pad(num(cell.baseline.eventsPerS.median), 8),
    pad(`${cell.ratio}×`, 7),
    pad(cell.herald.requestsPerEvent, 8),
    pair(num(cell.herald.workerCpuUsPerDelivery), num(cell.baseline.workerCpuUsPerDelivery), 6),
    pair(cell.herald.redisCallsPerEvent, cell.baseline.redisCallsPerEvent, 5),
    pair(num(cell.herald.redisCpuUsPerEvent), num(cell.baseline.redisCpuUsPerEvent), 5),
    pair(num(cell.herald.pipelineCpuUsPerEvent.median), num(cell.baseline.pipelineCpuUsPerEvent.median), 6),
    pair(percent(cell.herald.otherCpuShare.median), percent(cell.baseline.otherCpuShare.median), 4),
  ].join('  ');
}

/** The table printed at the end of a run. */
export function table(plan: BenchPlan, m: Measurements, checks: TargetCheck[]): string {
  const lines: string[] = [];
  const reps = plan.repetitions === 1 ? 'single runs' : `medians of ${plan.repetitions} runs`;
  lines.push(`Herald benchmark (${plan.mode}; ${reps}; concurrency ${plan.concurrency}; ${BENCH_EVENT_BYTES}-byte events)`);
  lines.push('');
  lines.push('1. producer, durable enqueue (events/s)      1 writer   64 writers');
  for (const [persistence, p] of Object.entries(m.producer)) {
    lines.push(`   herald producer, redis ${persistence.padEnd(17)} ${pad(num(p.oneWriter.median), 9)}  ${pad(num(p.writers64.median), 10)}`);
    lines.push(`   raw Queue.add,   redis ${persistence.padEnd(17)} ${pad(num(p.baselineOneWriter.median), 9)}  ${pad(num(p.baselineWriters64.median), 10)}`);
  }
  lines.push('2. ingest, 64 keep-alive clients            envelopes/s   p50 ms   p99 ms');
  for (const [persistence, i] of Object.entries(m.ingest)) lines.push(`   redis ${persistence.padEnd(34)} ${pad(num(i.envelopesPerS.median), 11)}  ${pad(i.p50Ms, 7)}  ${pad(i.p99Ms, 7)}`);
  lines.push('3. end to end at saturation, events accepted → 2xx (h = herald, b = baseline)');
  const header = (titles: string[]) => `   ${titles.map((title, index) => (index === 0 ? title.padEnd(THROUGHPUT_WIDTHS[0]!) : pad(title, THROUGHPUT_WIDTHS[index]!))).join('  ')}`;
  lines.push(header(['', 'events/s', '', 'h ÷ b', 'h req', 'worker CPU µs', 'redis calls', 'redis CPU µs', 'all CPU µs', "others'"]));
  lines.push(header(['redis    cell', 'herald', 'baseline', '', '/event', '/delivery h  b', '/event h  b', '/event h  b', '/event h  b', 'CPU h  b']));
  for (const cell of m.throughput) lines.push(`   ${throughputRow(cell)}`);
  if (m.latency.length > 0) lines.push('   latency enqueue→2xx, 1 endpoint (ms)              offered      p50      p95      p99      max  req/event');
  for (const l of m.latency) {
    for (const system of ['herald', 'baseline'] as const) {
      const row = l[system];
      const batch = system === 'herald' && l.maxBatch > 1 ? ` mb${l.maxBatch}` : '';
      lines.push(
        `   ${(system + batch).padEnd(14)} ${l.workers}w at ${pad(num(l.rate), 5)}/s ${pad(num(row.offeredPerS), 17)}/s ${pad(row.p50.median, 8)} ${pad(row.p95.median, 8)} ${pad(row.p99.median, 8)} ${pad(row.max.median, 8)} ${pad(row.requestsPerEvent, 10)}`,
      );
    }
  }
  if (m.memory !== undefined) {
    lines.push(`4. redis memory per pending delivery (${m.memory.herald.pending.toLocaleString('en-US')} queued, endpoint stopped)`);
    for (const system of ['herald', 'baseline', 'heraldListpack'] as const) {
      const mem = m.memory[system];
      const kinds = Object.entries(mem.byKind)
        .filter(([, bytes]) => bytes >= 1)
        .map(([kind, bytes]) => `${kind} ${Math.round(bytes)}`)
        .join(', ');
      const label = system === 'heraldListpack' ? `herald, hash-max-listpack-value ${RECOMMENDED_HASH_MAX_LISTPACK_VALUE}, ${mem.pending.toLocaleString('en-US')} queued` : system;
      lines.push(`   ${label}: ${num(mem.bytesPerPending)} B per pending delivery (${kinds})`);
    }
  }
  lines.push('5. baselines');
  if (m.http !== undefined) lines.push(`   raw got POST loop, concurrency ${plan.concurrency}/endpoint: ${num(m.http.oneEndpoint.median)} req/s (1 endpoint), ${num(m.http.fourEndpoints.median)} req/s (4 endpoints)`);
  for (const [persistence, r] of Object.entries(m.redis)) {
    lines.push(`   raw redis (${persistence}): serial PING ${num(r.serialPerS.median)}/s, pipelined PING ${num(r.pipelinedPerS.median)}/s, pipelined SET 1 KB ${num(r.pipelinedSet1KbPerS.median)}/s (batches of ${r.batch})`);
  }
  lines.push('');
  lines.push('targets');
  for (const check of checks) lines.push(`   [${check.met ? 'met' : 'NOT met'}] ${check.target}: ${check.measured}`);
  if (plan.mode === 'quick') lines.push('', 'quick mode: single small runs that prove the benchmark works; never judge speed by them.');
  return lines.join('\n');
}
