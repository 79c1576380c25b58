import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { createProducer, INGRESS_QUEUE, type Producer } from '@herald/producer';
import type { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, testPrefix } from '../helpers/redis-keys.js';
import { RedisServer } from '../helpers/redis-server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { FaultEndpoint, type Attempt, type Fault } from './helpers/fault-endpoint.js';
import { duplicatesOf, percentile, setDifference, sleep, waitUntil } from './helpers/figures-math.js';
import { recordFigures } from './helpers/figures.js';
import { heraldEnv, logLines, startHerald, stopHerald } from './helpers/herald-run.js';
import { closedPortBelowEphemeralRange } from './helpers/ports.js';
import { RssSampler } from './helpers/process-memory.js';
import { scaled, SCALE } from './helpers/scale.js';
import { typicalEvent } from './helpers/typical-event.js';

/**
 * One faulty endpoint per fault, beside a healthy endpoint that gets the same events,
 * delivered by a `herald worker` process. Each fault must be retried per the endpoint's
 * policy (never earlier than its backoff or Retry-After), every event must reach the
 * faulty endpoint once the fault clears, the healthy endpoint must get everything as fast
 * as without the fault, and the worker's memory must not follow what the endpoint sends.
 *
 * Each case runs against a private redis-server, at the same time as a twin run of the
 * same load where the endpoint is healthy, so that the latency comparison is not blurred
 * by whatever else the machine runs meanwhile.
 */

/** Events per case, one per envelope, written at a steady pace; both endpoints get them. */
const EVENTS = scaled(400, 200);
/**
 * Deliveries already pending for the faulty endpoint when the measured events start: a
 * failing endpoint in production has a backlog. They are `pull` events, which the healthy
 * endpoint ignores (`ignore.actions`), written at once before the measured ones.
 */
const BACKLOG = scaled(2000, 1500);
/** Pause between writes, so that latency measures delivery, not our own burst. */
const PACE_MS = 5;
const BACKOFF_MS = 250;
/** How long a faulty endpoint's delivery attempt may take (`timeout`). */
const TIMEOUT_MS = 1000;
const JITTER = 0.1;

interface FaultCase {
  /** Scenario and endpoint name. */
  readonly name: string;
  /** The fault, or `refused`: nothing listens on the endpoint's port. */
  readonly fault: Fault | 'refused';
  /** Endpoint keys besides name, url, timeout, backoff, maxbackoff, maxage. */
  readonly endpoint?: Record<string, unknown>;
  /** How long the fault goes on after the last write, in ms. */
  readonly holdMs: number;
  /** The least wait the policy allows before retry number `retry` (1 = first retry), in ms; the log's retryInMs must be in [min, min * 1.1]. */
  readonly retryDelayMs?: (retry: number) => { min: number; max: number };
  /** Whether attempts fail while the fault lasts (else a 2xx status line is sent and counts as delivered). */
  readonly failsAttempts: boolean;
  /** Least retries of one delivery the fault must cause (retries are counted in the worker's log). @defaultValue 2 when failsAttempts */
  readonly minRetries?: number;
  /** Whether a timeout can end an attempt: then a duplicate is allowed (guarantee 3). */
  readonly mayTimeOut?: boolean;
  /** Give the faulty endpoint a backlog of BACKLOG pending deliveries first (faults answered 2xx have none). */
  readonly backlog?: boolean;
  /** Sample the worker's RSS and bound its growth. */
  readonly boundRss?: boolean;
  /** A receiver that the 3xx's Location points to: it must get nothing. */
  readonly redirectTrap?: boolean;
}

/** Herald's schedule: `backoff` for the first `threshold` retries, then doubling to `maxbackoff`, plus at most 10% jitter. */
function schedule(backoffMs: number, threshold: number, maxBackoffMs: number) {
  return (retry: number) => {
    const base = Math.min(backoffMs * 2 ** Math.max(0, retry - threshold), maxBackoffMs);
    return { min: base, max: Math.round(base * (1 + JITTER)) };
  };
}

const DEFAULT_SCHEDULE = schedule(BACKOFF_MS, 10, 2000);

const CASES: FaultCase[] = [
  { name: 'refused', fault: 'refused', holdMs: 2000, retryDelayMs: DEFAULT_SCHEDULE, failsAttempts: true, backlog: true },
  {
    name: 'http-500',
    fault: { kind: 'status', status: 500 },
    // threshold 2: retries wait 250, 250, then 500, 500 ms (doubling, clamped to maxbackoff).
    endpoint: { threshold: 2, maxbackoff: '500ms' },
    holdMs: 3000,
    retryDelayMs: schedule(BACKOFF_MS, 2, 500),
    failsAttempts: true,
    backlog: true,
  },
  {
    name: 'http-429-retry-after',
    fault: { kind: 'status', status: 429, headers: { 'Retry-After': '1' } },
    // A short backoff, so that only Retry-After can explain a 1 s wait.
    endpoint: { backoff: '100ms' },
    holdMs: 2500,
    retryDelayMs: () => ({ min: 1000, max: 1000 }),
    failsAttempts: true,
    backlog: true,
  },
  // Ten attempts in flight, each held for the whole timeout: fewer attempts fit in the fault.
  { name: 'slower-than-timeout', fault: { kind: 'slow', delayMs: 3 * TIMEOUT_MS }, holdMs: 3000, retryDelayMs: DEFAULT_SCHEDULE, failsAttempts: true, minRetries: 1, mayTimeOut: true, backlog: true },
  { name: 'never-ending-body', fault: { kind: 'never-ending', trickleMs: 200 }, holdMs: 3000, retryDelayMs: DEFAULT_SCHEDULE, failsAttempts: false, mayTimeOut: true, boundRss: true },
  { name: 'reset-mid-body', fault: { kind: 'reset-mid-body' }, holdMs: 1000, failsAttempts: false },
  { name: 'reset-before-response', fault: { kind: 'reset-before-response' }, holdMs: 2000, retryDelayMs: DEFAULT_SCHEDULE, failsAttempts: true, backlog: true },
  { name: 'huge-body-50mb', fault: { kind: 'huge-body', bytes: 50 * 1024 * 1024 }, holdMs: 1000, failsAttempts: false, boundRss: true },
  { name: 'redirect-307', fault: { kind: 'status', status: 307 }, holdMs: 2000, retryDelayMs: DEFAULT_SCHEDULE, failsAttempts: true, redirectTrap: true, backlog: true },
];

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.destroy();
});

function latencyFigures(latencies: number[]) {
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: percentile(latencies, 100) };
}

/**
 * One worker process with its two endpoints (`healthy`, and the case's endpoint) on a
 * prefix of its own. A case runs two lanes at the same time with the same load: one where
 * the endpoint has the fault, and its twin where it is healthy, so that whatever else the
 * machine does meanwhile weighs on both.
 */
class Lane {
  readonly run = randomUUID().slice(0, 8);
  readonly ids: string[] = [];
  readonly sentAt = new Map<string, number>();
  backlogIds: string[] = [];
  readonly rss: RssSampler;
  readonly producer: Producer;

  private constructor(
    readonly spec: FaultCase,
    readonly faulted: boolean,
    readonly prefix: string,
    readonly healthy: WebhookReceiver,
    readonly faulty: FaultEndpoint,
    readonly trap: WebhookReceiver | undefined,
    readonly worker: HeraldProcess,
  ) {
    this.rss = new RssSampler(worker.child.pid!, 100);
    this.producer = createProducer({ redis: redis.url, prefix });
  }

  static async start(spec: FaultCase, faulted: boolean): Promise<Lane> {
    const prefix = testPrefix();
    const healthy = await WebhookReceiver.start();
    const faulty = await FaultEndpoint.start(faulted && spec.fault === 'refused' ? await closedPortBelowEphemeralRange() : 0);
    const trap = faulted && spec.redirectTrap ? await WebhookReceiver.start() : undefined;
    const fault = faulted ? spec.fault : ({ kind: 'ok' } as const);
    if (fault === 'refused') await faulty.unlisten();
    else if (fault.kind === 'status' && trap !== undefined) faulty.fault = { ...fault, headers: { ...fault.headers, Location: `${trap.url}?token=not-for-logs` } };
    else faulty.fault = fault;
    const endpoints = [
      { name: 'healthy', url: healthy.url, backoff: `${BACKOFF_MS}ms`, ignore: { actions: ['pull'] } },
      // The twin's endpoint answers at once; its timeout only decides whether a loaded CI
      // machine (load average 5-7 seen) turns a slow answer into a failure it must not have.
      { name: spec.name, url: faulty.url, timeout: `${faulted ? TIMEOUT_MS : 10 * TIMEOUT_MS}ms`, backoff: `${BACKOFF_MS}ms`, maxbackoff: '2s', maxage: '1h', ...spec.endpoint },
    ];
    try {
      const worker = await startHerald('worker', heraldEnv({ redisUrl: redis.url, prefix, endpoints }));
      return new Lane(spec, faulted, prefix, healthy, faulty, trap, worker);
    } catch (error) {
      await Promise.all([healthy.close(), faulty.close(), trap?.close()]);
      throw error;
    }
  }

  /** Writes the backlog (pull events, for the case's endpoint only) and waits until fan-out has placed it. */
  async writeBacklog(): Promise<void> {
    const backlog = Array.from({ length: BACKLOG }, (_, n) => ({ ...typicalEvent(`${this.spec.name}-${this.run}-backlog-${n}`, n), action: 'pull' }));
    for (let n = 0; n < backlog.length; n += 50) await Promise.all(backlog.slice(n, n + 50).map((event) => this.producer.write(event)));
    this.backlogIds = backlog.map((event) => event.id);
    const ingress = new Queue(INGRESS_QUEUE, { connection: { url: redis.url }, prefix: this.prefix });
    try {
      await waitUntil(async () => Object.values(await ingress.getJobCounts('waiting', 'active', 'delayed')).every((count) => count === 0), 60_000, `${this.spec.name}: backlog fanned out`, 100);
    } finally {
      await ingress.close();
    }
  }

  /** Writes measured event number `n` (to both endpoints), noting when. */
  async write(n: number): Promise<void> {
    const event = typicalEvent(`${this.spec.name}-${this.run}-${n}`, n);
    this.sentAt.set(event.id, Date.now());
    this.ids.push(event.id);
    await this.producer.write(event);
  }

  /** Latency of each measured event at the healthy endpoint, in the order they were written. */
  healthyLatencies(): number[] {
    const bySending = this.healthy.deliveries.filter((d) => d.eventIds.length > 0).sort((a, b) => this.sentAt.get(a.eventIds[0]!)! - this.sentAt.get(b.eventIds[0]!)!);
    return bySending.map((d) => d.receivedAt - this.sentAt.get(d.eventIds[0]!)!);
  }

  async close(): Promise<void> {
    this.rss.stop();
    await stopHerald(this.worker, 'SIGKILL');
    await this.producer.close();
    await Promise.all([this.healthy.close(), this.faulty.close(), this.trap?.close()]);
    await deleteKeys(redis.url, this.prefix);
  }
}

/**
 * Runs one case: the faulted lane and its healthy twin, each a worker process delivering
 * EVENTS events to `healthy` and to the case's endpoint (after a backlog for the latter,
 * when the case has one); the fault held until `holdMs` after the last write, then healed.
 * Asserts what every case must hold and records the figures.
 */
async function runCase(spec: FaultCase): Promise<void> {
  const started = Date.now();
  const lanes: Lane[] = [];
  try {
    lanes.push(await Lane.start(spec, true), await Lane.start(spec, false));
    const [lane, twin] = lanes as [Lane, Lane];
    const { healthy, faulty, trap, worker } = lane;
    if (spec.backlog) {
      await Promise.all(lanes.map((l) => l.writeBacklog()));
      // Measure from a steady state: the twin has delivered its backlog; the faulted lane's waits.
      await twin.faulty.until(() => twin.faulty.deliveredIds.size >= twin.backlogIds.length, 60_000, 'backlog delivered without the fault');
      await sleep(1000);
    }
    for (let n = 0; n < EVENTS; n += 1) {
      await Promise.all(lanes.map((l) => l.write(n)));
      await sleep(PACE_MS);
    }
    const writesDoneAt = Date.now();
    for (const l of lanes) await waitUntil(() => new Set(l.healthy.delivered).size >= l.ids.length, 60_000, `${spec.name}: healthy endpoint received every event`);
    const healthyLatencies = lane.healthyLatencies();
    const twinLatencies = twin.healthyLatencies();
    // p50 per quarter of the writes.
    const p50ByQuarter = [0, 1, 2, 3].map((q) => percentile(healthyLatencies.slice((q * healthyLatencies.length) / 4, ((q + 1) * healthyLatencies.length) / 4), 50));

    // The fault goes on for holdMs after the last write, then clears.
    await sleep(Math.max(0, writesDoneAt + spec.holdMs - Date.now()));
    const deliveredBeforeHeal = faulty.deliveredIds.size;
    const healedAt = Date.now();
    faulty.heal();
    if (spec.fault === 'refused') await faulty.listen();
    const ids = lane.ids;
    const backlogIds = lane.backlogIds;
    await faulty.until(() => faulty.deliveredIds.size >= ids.length + backlogIds.length, 90_000, `${spec.name}: every event delivered after the fault cleared`);
    const drainAfterHealMs = Date.now() - healedAt;
    await twin.faulty.until(() => twin.faulty.deliveredIds.size >= twin.ids.length + twin.backlogIds.length, 60_000, `${spec.name}: twin delivered everything`);
    // Late duplicates (a retry already scheduled) would show up here.
    await sleep(500);

    const [exit, twinExit] = await Promise.all([stopHerald(worker, 'SIGTERM'), stopHerald(twin.worker, 'SIGTERM')]);
    const rssFigures = lane.rss.stop();
    const twinRss = twin.rss.stop();
    const failures = logLines(worker).filter((line) => line['msg'] === 'delivery failed, retrying');
    const faultyFailures = failures.filter((line) => line['endpoint'] === spec.name);
    const twinFailures = logLines(twin.worker).filter((line) => line['msg'] === 'delivery failed, retrying');

    // Spacing as the endpoint saw it: after an attempt that did not get a 2xx status line,
    // the next attempt of the same delivery comes no earlier than the policy allows.
    const spacings: { retry: number; gapMs: number; minMs: number }[] = [];
    for (const group of faulty.attemptsByDelivery().values()) {
      group.forEach((attempt: Attempt, index) => {
        const previous = group[index - 1];
        if (previous === undefined || (previous.status !== undefined && previous.status >= 200 && previous.status < 300)) return;
        const minMs = spec.retryDelayMs?.(index).min ?? 0;
        spacings.push({ retry: index, gapMs: attempt.at - previous.at, minMs });
      });
    }
    // Spacing as the worker logged it: each retry's delay is the policy's, and the next
    // failure of the same job comes no earlier than that delay.
    const logged: { retryInMs: number; attempt: number; time: number; jobId: string }[] = faultyFailures.map((line) => ({
      retryInMs: line['retryInMs'] as number,
      attempt: line['attempt'] as number,
      time: line['time'] as number,
      jobId: line['jobId'] as string,
    }));
    const policyViolations = logged.filter((line) => {
      const allowed = spec.retryDelayMs?.(line.attempt);
      return allowed === undefined || line.retryInMs < allowed.min || line.retryInMs > allowed.max;
    });
    const loggedGaps: { gapMs: number; minMs: number }[] = [];
    const byJob = new Map<string, typeof logged>();
    for (const line of logged) byJob.set(line.jobId, [...(byJob.get(line.jobId) ?? []), line]);
    for (const lines of byJob.values()) {
      lines.sort((a, b) => a.attempt - b.attempt);
      for (let index = 1; index < lines.length; index += 1) loggedGaps.push({ gapMs: lines[index]!.time - lines[index - 1]!.time, minMs: lines[index - 1]!.retryInMs });
    }
    const earlyAtEndpoint = spacings.filter((s) => s.gapMs < s.minMs);
    const earlyInLog = loggedGaps.filter((g) => g.gapMs < g.minMs);
    const retriesPerDelivery = Math.max(0, ...[...faulty.attemptsByDelivery().values()].map((group) => group.length - 1));

    const healthyLatency = latencyFigures(healthyLatencies);
    const base = latencyFigures(twinLatencies);
    const openMs = faulty.attempts.filter((a) => a.status !== undefined && a.closedAt !== undefined).map((a) => a.closedAt! - a.at);
    const duplicates = { healthy: duplicatesOf(healthy.delivered), faulty: duplicatesOf(faulty.delivered) };
    const bytesWritten = faulty.attempts.map((a) => a.bytesWritten).filter((b): b is number => b !== undefined);
    recordFigures(`endpoint-faults/${spec.name}`, {
      events: ids.length,
      backlog: backlogIds.length,
      eventBytes: Buffer.byteLength(JSON.stringify(typicalEvent(ids[0]!, 0))),
      healthyLatencyMs: healthyLatency,
      healthyP50ByQuarterMs: p50ByQuarter,
      withoutFaultLatencyMs: base,
      faultyAttempts: faulty.attempts.length,
      failedAttemptsLogged: faultyFailures.length,
      maxRetriesOfOneDelivery: retriesPerDelivery,
      minRetryGapAtEndpointMs: spacings.length === 0 ? null : Math.min(...spacings.map((s) => s.gapMs)),
      minRetryGapInLogMs: loggedGaps.length === 0 ? null : Math.min(...loggedGaps.map((g) => g.gapMs)),
      retryDelaysLoggedMs: logged.length === 0 ? null : { min: Math.min(...logged.map((l) => l.retryInMs)), max: Math.max(...logged.map((l) => l.retryInMs)) },
      deliveredBeforeHeal,
      drainAfterHealMs,
      lateAnswersDropped: faulty.lateAnswersDropped,
      duplicates,
      lost: setDifference([...ids, ...backlogIds], faulty.delivered).missingCount + setDifference(ids, healthy.delivered).missingCount,
      workerRssMiB: rssFigures,
      withoutFaultWorkerRssMiB: twinRss,
      responseOpenMs: { p50: percentile(openMs, 50), max: percentile(openMs, 100) },
      ...(bytesWritten.length === 0 ? {} : { hugeBodyBytesWrittenBeforeDrop: { max: Math.max(...bytesWritten), p50: percentile(bytesWritten, 50) } }),
      ...(trap === undefined ? {} : { requestsToRedirectTarget: trap.deliveries.length }),
      caseSeconds: Math.round((Date.now() - started) / 100) / 10,
    });

    // Exact outcomes: every accepted id, at both endpoints, in both lanes.
    expect(setDifference(ids, healthy.delivered)).toMatchObject({ missingCount: 0, unexpectedCount: 0 });
    expect(setDifference([...ids, ...backlogIds], faulty.delivered)).toMatchObject({ missingCount: 0, unexpectedCount: 0 });
    expect(setDifference(twin.ids, twin.healthy.delivered)).toMatchObject({ missingCount: 0, unexpectedCount: 0 });
    expect(setDifference([...twin.ids, ...twin.backlogIds], twin.faulty.delivered)).toMatchObject({ missingCount: 0, unexpectedCount: 0 });
    expect(duplicates.healthy).toBe(0);
    if (!spec.mayTimeOut) expect(duplicates.faulty).toBe(0);
    expect([exit, twinExit]).toMatchObject([
      { code: 0, signal: null, killed: false },
      { code: 0, signal: null, killed: false },
    ]);
    // The healthy endpoint never failed; the twin never failed at all.
    expect(failures.filter((line) => line['endpoint'] === 'healthy')).toStrictEqual([]);
    expect(twinFailures).toStrictEqual([]);
    if (spec.failsAttempts) {
      expect(faultyFailures.length, 'the fault made attempts fail and the worker retried them').toBeGreaterThan(0);
      // With the endpoint breaker a failing endpoint is retried as a whole about once per
      // backoff, not once per pending job, so some delivery is retried at least once.
      expect(Math.max(0, ...logged.map((l) => l.attempt)), 'retries of the most retried delivery').toBeGreaterThanOrEqual(spec.minRetries ?? 1);
    }
    if (!spec.failsAttempts && !spec.mayTimeOut) expect(faultyFailures).toStrictEqual([]);
    // Retried per policy, never early.
    expect(policyViolations.slice(0, 5)).toStrictEqual([]);
    expect(earlyAtEndpoint.slice(0, 5)).toStrictEqual([]);
    expect(earlyInLog.slice(0, 5)).toStrictEqual([]);
    if (trap !== undefined) {
      // The redirect is not followed, and its Location is logged without the query.
      expect(trap.deliveries).toStrictEqual([]);
      expect(JSON.stringify(faultyFailures[0])).toContain('redirects are not followed');
      expect(worker.output.join('')).not.toContain('not-for-logs');
    }
    // Bodies are dropped: no response stays open much past the attempt's timeout.
    expect(percentile(openMs, 100), 'longest a response stayed open, ms').toBeLessThan(TIMEOUT_MS + 5000);
    if (spec.boundRss) {
      // Response bodies are never buffered: the worker grows by less than one 50 MB body
      // beyond what the same load costs its twin.
      expect(rssFigures.maxMiB, `worker max RSS ${rssFigures.maxMiB} MiB; ${twinRss.maxMiB} MiB without the fault`).toBeLessThan(twinRss.maxMiB + 48);
    }
    // Isolation: the healthy endpoint as fast as its twin's, which has no fault beside it
    // (generous bounds: the machine is shared).
    expect(healthyLatency.p50, `healthy p50 ${healthyLatency.p50}ms vs ${base.p50}ms without the fault`).toBeLessThanOrEqual(2 * base.p50 + 50);
    expect(healthyLatency.p95, `healthy p95 ${healthyLatency.p95}ms vs ${base.p95}ms without the fault`).toBeLessThanOrEqual(3 * base.p95 + 250);
  } finally {
    await Promise.all(lanes.map((l) => l.close()));
  }
}

/**
 * The faults CI runs (HERALD_CHAOS_SCALE=ci): one of each family — no connection, an error
 * status, a timeout, a body that never ends, a redirect — to keep the run under 20 minutes;
 * the full run has all nine.
 */
const CI_CASES = new Set(['refused', 'http-500', 'slower-than-timeout', 'never-ending-body', 'redirect-307']);

describe('endpoint faults: each retried per policy, healed, isolated, in bounded memory', () => {
  for (const spec of CASES.filter((candidate) => SCALE === 'full' || CI_CASES.has(candidate.name))) {
    it(`survives an endpoint that ${spec.name === 'refused' ? 'refuses connections' : `answers with ${spec.name}`}, beside a healthy one`, async () => {
      await runCase(spec);
    });
  }
});
