import { randomUUID } from 'node:crypto';
import { benchEvent, eventIds } from './bench-event.js';
import { monotonicUs } from './cpu-profile.js';
import { Pipeline, type PipelineSettings, type System } from './pipeline.js';
import type { ReceiverProcess } from './receiver-process.js';
import { RedisProbe, type RedisCost } from './redis-probe.js';
import { availableParallelism } from 'node:os';
import { cpuTimeMs, machineBusyMs, ownCpuMs } from './cpu-time.js';
import { concurrently, now, sleep } from './load-loop.js';
import { summarizeLatency, type LatencySummary } from './statistics.js';

/** Writers filling a backlog; not measured. */
const FILL_WRITERS = 64;

/** What one saturation run measured. */
export interface SaturationRun {
  /** Events delivered to every endpoint per second (deliveries/s ÷ endpoints). */
  eventsPerS: number;
  /** Events answered 2xx at the receiver per second, all endpoints together. */
  deliveriesPerS: number;
  /** POST requests per event delivered to an endpoint (1 without batching). */
  requestsPerEvent: number;
  /** Worker-process CPU per delivery, in µs (all worker processes). */
  workerCpuUsPerDelivery: number;
  /** Receiver CPU per delivery, in µs. */
  receiverCpuUsPerDelivery: number;
  /** Redis commands per event accepted and delivered to every endpoint (the backlog's enqueue included). */
  redisCallsPerEvent: number;
  /** Redis script invocations (round trips) per event. */
  redisScriptsPerEvent: number;
  /** Redis process CPU per event, in µs, enqueue included. */
  redisCpuUsPerEvent: number;
  /**
   * CPU the whole pipeline spent per event, in µs: worker processes and receiver while
   * delivering, plus Redis (enqueue included). Less sensitive to a busy machine than
   * events/s: on an idle machine with `cores` cores, events/s can approach cores × 10⁶ ÷ this.
   */
  pipelineCpuUsPerEvent: number;
  /**
   * Share of the machine's CPU (all cores) that processes outside the benchmark used while
   * delivering, 0–1: how noisy the measurement was. Figures with a large share are not comparable.
   */
  otherCpuShare: number;
  /** Deliveries the receiver saw twice (must be 0 without crashes). */
  duplicates: number;
  redis: RedisCost;
  /** The delivery interval on the clock of CPU profiles (monotonicUs), to cut start-up out of them. */
  window: [number, number];
}

/**
 * Throughput at saturation: with the pipeline's entry queue paused, `events` events are
 * accepted (64 writers), then the queue is resumed and the clock runs until the receiver
 * has answered 2xx for every event on every endpoint. The workers always have a backlog:
 * this is the most the pipeline delivers.
 */
export async function saturate(system: System, settings: PipelineSettings, events: number, receiver: ReceiverProcess, probe: RedisProbe): Promise<SaturationRun> {
  const pipeline = new Pipeline(system, settings);
  const id = eventIds(randomUUID());
  const deliveries = events * settings.endpoints.length;
  try {
    await receiver.reset();
    await pipeline.start();
    await pipeline.pause();
    await probe.resetCommandStats();
    const before = await probe.snapshot();
    let next = 0;
    await concurrently(FILL_WRITERS, async () => {
      if (next >= events) return false;
      await pipeline.write(benchEvent(id(next++)));
      return true;
    });
    await sleep(200);
    const atResume = await probe.snapshot();
    const workerCpu = pipeline.workerCpuMs();
    const receiverCpu = cpuTimeMs(receiver.pid) ?? Number.NaN;
    const machineBusy = machineBusyMs() ?? Number.NaN;
    const ownCpu = ownCpuMs();
    const started = now();
    const windowStart = monotonicUs();
    await pipeline.resume();
    const tally = await receiver.waitFor(deliveries, Math.max(120_000, deliveries * 5));
    const windowEnd = monotonicUs();
    const machineBusyUs = ((machineBusyMs() ?? Number.NaN) - machineBusy) * 1000;
    const ownCpuUs = (ownCpuMs() - ownCpu) * 1000;
    const wallUs = now() - started;
    const seconds = (tally.last! - started) / 1000;
    const workerCpuUs = (pipeline.workerCpuMs() - workerCpu) * 1000;
    const receiverCpuUs = ((cpuTimeMs(receiver.pid) ?? Number.NaN) - receiverCpu) * 1000;
    const redisDrainUs = ((await probe.snapshot()).cpuMs - atResume.cpuMs) * 1000;
    const otherCpuUs = machineBusyUs - workerCpuUs - receiverCpuUs - redisDrainUs - ownCpuUs;
    // Let the last acknowledgements (moveToFinished) reach Redis before counting its work.
    await sleep(300);
    const redis = RedisProbe.cost(before, await probe.snapshot());
    return {
      eventsPerS: events / seconds,
      deliveriesPerS: deliveries / seconds,
      requestsPerEvent: tally.requests / tally.events,
      workerCpuUsPerDelivery: workerCpuUs / deliveries,
      receiverCpuUsPerDelivery: receiverCpuUs / deliveries,
      redisCallsPerEvent: redis.calls / events,
      redisScriptsPerEvent: redis.scriptCalls / events,
      redisCpuUsPerEvent: (redis.cpuMs * 1000) / events,
      pipelineCpuUsPerEvent: (workerCpuUs + receiverCpuUs + redis.cpuMs * 1000) / events,
      otherCpuShare: Math.max(0, otherCpuUs / (wallUs * 1000 * availableParallelism())),
      duplicates: tally.duplicates,
      redis,
      window: [windowStart, windowEnd],
    };
  } finally {
    await pipeline.stop();
  }
}

/** What one fixed-load run measured. */
export interface LatencyRun {
  /** Offered rate actually achieved, events/s. */
  offeredPerS: number;
  /** From the moment an event was due to be written (open-loop schedule) to its 2xx at the receiver, in ms. */
  latency: LatencySummary;
  /** Events that reached the receiver. */
  delivered: number;
  /** POST requests per event delivered. */
  requestsPerEvent: number;
}

/**
 * Latency at a fixed offered load: events are written on an open-loop schedule (`rate`
 * per second for `seconds`), each timed from the moment it was due — so a stalled write
 * does not hide the events queued behind it — to its first 2xx at the receiver. The
 * first second is warm-up and not counted.
 */
export async function fixedLoad(system: System, settings: PipelineSettings, rate: number, seconds: number, receiver: ReceiverProcess): Promise<LatencyRun> {
  const pipeline = new Pipeline(system, settings);
  const id = eventIds(randomUUID());
  const total = Math.round(rate * seconds);
  const due: number[] = [];
  try {
    await receiver.reset();
    await pipeline.start();
    const writes: Promise<unknown>[] = [];
    const started = now() + 5;
    let sent = 0;
    while (sent < total) {
      const owed = Math.min(total, Math.floor(((now() - started) * rate) / 1000) + 1);
      while (sent < owed) {
        due[sent] = started + (sent * 1000) / rate;
        writes.push(pipeline.write(benchEvent(id(sent))));
        sent += 1;
      }
      await sleep(1);
    }
    const offeredPerS = (total * 1000) / (now() - started);
    await Promise.all(writes);
    const tally = await receiver.waitFor(total * settings.endpoints.length, 60_000);
    const warmup = Math.round(rate);
    const samples: number[] = [];
    for (const [, eventId, arrivedAt] of await receiver.arrivals()) {
      const n = Number(eventId.slice(eventId.lastIndexOf('-') + 1));
      if (n >= warmup) samples.push(arrivedAt - due[n]!);
    }
    return { offeredPerS, latency: summarizeLatency(samples), delivered: samples.length + warmup * settings.endpoints.length, requestsPerEvent: tally.requests / tally.events };
  } finally {
    await pipeline.stop();
  }
}
