import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RedisServer } from '../helpers/redis-server.js';
import type { BenchPlan } from './bench-plan.js';
import { summarizeProfile, type ProfileSummary } from './cpu-profile.js';
import { saturate, type SaturationRun } from './end-to-end-scenario.js';
import { round } from './measured.js';
import type { System } from './pipeline.js';
import type { ReceiverProcess } from './receiver-process.js';
import { NodeProcess } from './node-process.js';
import { RedisProbe } from './redis-probe.js';

/** Profiles of one system's worker at saturation. */
export interface SystemProfile {
  eventsPerS: number;
  workerCpuUsPerDelivery: number;
  /** One summary per worker process (one process here). */
  worker: ProfileSummary;
  /** Redis commands per event, most calls first, with Redis µs per event. */
  redisPerEvent: { command: string; calls: number; usec: number }[];
  redisCpuUsPerEvent: number;
  /** Where the .cpuprofile files are (open them in Chrome DevTools or speedscope). */
  profileDir: string;
}

/** The profile of the embedded producer with 64 writers. */
export interface ProducerProfile {
  eventsPerS: number;
  producer: ProfileSummary;
  redisPerEvent: { command: string; calls: number; usec: number }[];
  redisCpuUsPerEvent: number;
  profileDir: string;
}

/** A fresh directory for one process's .cpuprofile files, under test/bench/profiles/ (git ignores them). */
function profileDir(name: string): string {
  const dir = new URL(`profiles/${name}`, import.meta.url).pathname;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function onlyProfile(dir: string): string {
  const files = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no CPU profile was written in ${dir}`);
  return join(dir, files[0]!);
}

/**
 * The producer (64 writers, one event per write) in a process of its own under
 * node --cpu-prof, with Redis's commandstats for the same interval.
 */
export async function profileProducer(plan: BenchPlan, log: (line: string) => void): Promise<ProducerProfile> {
  const server = await RedisServer.start();
  const probe = new RedisProbe(server.url);
  try {
    const dir = profileDir('producer');
    const events = Math.max(30_000, plan.producerEvents.many);
    await probe.resetCommandStats();
    const before = await probe.snapshot();
    const process = NodeProcess.script('./producer-process.ts', { BENCH_REDIS_URL: server.url, BENCH_WRITERS: '64', BENCH_EVENTS: String(events) }, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const { code } = await process.exited;
    if (code !== 0) throw new Error(`producer process failed:\n${process.output.join('')}`);
    const redis = RedisProbe.cost(before, await probe.snapshot());
    const match = /producer: (\d+) events\/s, window (\d+) (\d+)/.exec(process.output.join(''));
    const rate = Number(match?.[1]);
    log(`profiled producer: ${rate} events/s`);
    return {
      eventsPerS: rate,
      producer: summarizeProfile(onlyProfile(dir), [Number(match?.[2]), Number(match?.[3])]),
      // The warm-up writes (200) are in Redis's counts too.
      redisPerEvent: redis.commands.map((entry) => ({ command: entry.command, calls: round(entry.calls / (events + 200)), usec: round(entry.usec / (events + 200)) })),
      redisCpuUsPerEvent: round((redis.cpuMs * 1000) / (events + 200)),
      profileDir: dir,
    };
  } finally {
    await probe.close();
    await server.destroy();
  }
}

/**
 * `--profile`: one Herald worker and one baseline worker, each at saturation (1 worker,
 * 1 endpoint, a backlog of `saturationDeliveries`) under `node --cpu-prof`; the profile is
 * written when the worker exits on SIGTERM. Only the samples taken while the backlog was
 * delivered are summarised (start-up and the backlog's writing are cut out).
 */
export async function profileWorkers(plan: BenchPlan, receiver: ReceiverProcess, log: (line: string) => void): Promise<{ redisVersion: string; profiles: Record<System, SystemProfile> }> {
  const server = await RedisServer.start();
  const probe = new RedisProbe(server.url);
  const profiles = {} as Record<System, SystemProfile>;
  try {
    const redisVersion = await probe.version();
    for (const system of ['herald', 'baseline'] as const) {
      const dir = profileDir(system);
      const events = plan.saturationDeliveries;
      const run: SaturationRun = await saturate(
        system,
        { redisUrl: server.url, workers: 1, endpoints: Array.from({ length: plan.profileEndpoints }, (_, n) => receiver.url(n)), concurrency: plan.concurrency, maxBatch: plan.maxBatch, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] },
        events,
        receiver,
        probe,
      );
      profiles[system] = {
        eventsPerS: round(run.eventsPerS),
        workerCpuUsPerDelivery: round(run.workerCpuUsPerDelivery),
        worker: summarizeProfile(onlyProfile(dir), run.window),
        redisPerEvent: run.redis.commands.map((entry) => ({ command: entry.command, calls: round(entry.calls / events), usec: round(entry.usec / events) })),
        redisCpuUsPerEvent: round(run.redisCpuUsPerEvent),
        profileDir: dir,
      };
      log(`profiled ${system} worker: ${Math.round(run.eventsPerS)} events/s`);
    }
    return { redisVersion, profiles };
  } finally {
    await probe.close();
    await server.destroy();
  }
}

/** The profile summary as printed (and pasted into docs/performance.md). */
export function profileTable(profiles: Record<System, SystemProfile>, producer: ProducerProfile): string {
  const lines: string[] = [];
  const section = (title: string, summary: ProfileSummary) => {
    lines.push(`${title}; busy ${summary.busyMs} of ${summary.totalMs} ms sampled`);
    lines.push('  self time by package:');
    for (const entry of summary.byPackage) lines.push(`    ${String(entry.percent).padStart(5)}%  ${String(entry.ms).padStart(6)} ms  ${entry.name}`);
    lines.push('  top functions by self time:');
    for (const entry of summary.topFunctions) lines.push(`    ${String(entry.percent).padStart(5)}%  ${String(entry.ms).padStart(6)} ms  ${entry.name}`);
  };
  const redisLine = (cpu: number, perEvent: { command: string; calls: number; usec: number }[]) =>
    `  redis per event (${cpu} µs Redis CPU): ${perEvent.slice(0, 14).map((entry) => `${entry.command} ${entry.calls}× ${entry.usec} µs`).join(', ')}`;
  for (const system of ['herald', 'baseline'] as const) {
    const p = profiles[system];
    section(`${system} worker: ${p.eventsPerS} events/s, ${p.workerCpuUsPerDelivery} µs CPU per delivery`, p.worker);
    lines.push(redisLine(p.redisCpuUsPerEvent, p.redisPerEvent), '');
  }
  section(`producer, 64 writers: ${producer.eventsPerS} events/s`, producer.producer);
  lines.push(redisLine(producer.redisCpuUsPerEvent, producer.redisPerEvent));
  return lines.join('\n');
}
