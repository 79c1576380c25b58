import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { Event } from '@herald/events';
import { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const V1 = 'application/vnd.docker.distribution.events.v1+json';
const captured: { body: { events: Event[] } }[] = readFileSync(new URL('../../packages/events/test/fixtures/distribution-2.8.2.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const unique = [...new Map(captured.flatMap((request) => request.body.events).map((event) => [event.id, event])).values()];

const dir = mkdtempSync(join(tmpdir(), 'herald-start-'));
const prefix = testPrefix();
const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
let herald: HeraldProcess;
let base: string;
let all: WebhookReceiver;
let noPulls: WebhookReceiver;

beforeAll(async () => {
  [all, noPulls] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
  const config = join(dir, 'herald.yml');
  writeFileSync(
    config,
    [
      `redis: { url: "${REDIS_URL}", prefix: "${prefix}" }`,
      'http: { host: 127.0.0.1, port: 0 }',
      'ingest: { token: e2e-token }',
      'board: { username: admin, password: board-pass }',
      'endpoints:',
      `  - { name: all, url: "${all.url}", secret: "${secret}", backoff: 200ms }`,
      `  - { name: no-pulls, url: "${noPulls.url}", backoff: 200ms, ignore: { actions: [pull] } }`,
      '',
    ].join('\n'),
  );
  herald = new HeraldProcess(['start', '--config', config]);
  await herald.waitFor('health: ');
  base = /ingest: POST events to (http:\/\/[^/]+)\/events/.exec(herald.output.join(''))![1]!;
}, 60_000);

afterAll(async () => {
  const exit = await herald.stop('SIGTERM');
  expect(exit).toStrictEqual({ code: 0, signal: null });
  await Promise.all([all.close(), noPulls.close()]);
  await deleteKeys(REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('herald start', () => {
  it('prints one line per role, with no secret', () => {
    const text = herald.output.join('');
    for (const line of ['ingest: POST events to', 'board: http://127.0.0.1:', 'worker: delivering to all, no-pulls', 'health: ']) expect(text).toContain(line);
    for (const secretText of ['e2e-token', 'board-pass', secret]) expect(text).not.toContain(secretText);
  });

  it('delivers every captured envelope POSTed to ingest, each event field unchanged, exactly as filtered', async () => {
    for (const request of captured) {
      const response = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': V1, authorization: 'Bearer e2e-token' },
        body: JSON.stringify(request.body, null, 3),
      });
      expect(response.status).toBe(202);
    }
    const wantAll = unique.map((event) => event.id);
    const wantNoPulls = unique.filter((event) => event.action !== 'pull').map((event) => event.id);
    await all.until(() => new Set(all.delivered).size >= wantAll.length);
    await noPulls.until(() => new Set(noPulls.delivered).size >= wantNoPulls.length);
    expect(new Set(all.delivered)).toStrictEqual(new Set(wantAll));
    expect(new Set(noPulls.delivered)).toStrictEqual(new Set(wantNoPulls));
    const received = all.deliveries.filter((d) => d.eventIds.length > 0).flatMap((d) => (JSON.parse(d.body) as { events: Event[] }).events);
    for (const event of unique) {
      expect(received.filter((r) => r.id === event.id).map((r) => JSON.stringify(r))).toContain(JSON.stringify(event));
    }
    const verifier = new Webhook(secret);
    for (const delivery of all.deliveries) {
      const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(delivery.headers[name])]));
      expect(() => verifier.verify(delivery.body, headers)).not.toThrow();
    }
  });

  it('serves Prometheus metrics whose counters moved', async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+]+|NaN|\+Inf|-Inf)$/.exec(line);
      expect(match, `not Prometheus text: ${line}`).not.toBeNull();
      samples.set(match![1]!, Number(match![2]));
    }
    expect(samples.get('herald_endpoint_successes_total{endpoint="all"}')).toBe(unique.length);
    expect(samples.get('herald_endpoint_requests_total{endpoint="all"}')).toBe(unique.length);
    // The time from acceptance to the 2xx, once per delivery.
    expect(samples.get('herald_delivery_latency_seconds_count{endpoint="all"}')).toBe(unique.length);
    // Node's process metrics keep the names the standard dashboards expect.
    expect(samples.has('process_cpu_user_seconds_total')).toBe(true);
    expect([...samples.keys()].some((name) => name.startsWith('nodejs_eventloop_lag_seconds'))).toBe(true);
    expect([...samples.keys()].filter((name) => name.startsWith('herald_process_'))).toStrictEqual([]);
    // Prometheus's own linter accepts every metric (bash .ci/run installs it: Debian's prometheus).
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (lint.error === undefined) {
      expect({ status: lint.status, problems: `${lint.stdout}${lint.stderr}`.trim() }).toStrictEqual({ status: 0, problems: '' });
    } else {
      console.warn(`promtool check skipped: promtool is not on PATH (apt-get install prometheus; bash .ci/run does): ${lint.error.message}`);
    }
    expect(samples.get('herald_ingest_requests_total{code="202"}')).toBe(captured.length);
    expect(samples.get('herald_ingest_events_total')).toBe(captured.length);
    expect(samples.get('herald_queue_jobs{queue="endpoint.all",state="failed"}')).toBe(0);
    expect(samples.get('herald_delivery_attempt_duration_seconds_count{endpoint="all",outcome="success"}')).toBeGreaterThan(0);
  });

  it("serves /debug/vars in distribution's shape, without header values", async () => {
    // Counters reach Redis within a second of each attempt.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const vars = (await (await fetch(`${base}/debug/vars`)).json()) as { registry: { notifications: { endpoints: Record<string, unknown>[] } } };
    const [first, second] = vars.registry.notifications.endpoints;
    expect(first).toMatchObject({
      name: 'all',
      url: all.url,
      Timeout: 5_000_000_000,
      Threshold: 10,
      Backoff: 200_000_000,
      MaxBatch: 1,
      MaxBatchBytes: 1_048_576,
      // One event per request without batching: as many requests as events.
      Metrics: { Pending: 0, Events: unique.length, Requests: unique.length, Successes: unique.length, Failures: 0, Errors: 0, Statuses: { '200 OK': unique.length } },
    });
    expect(second).toMatchObject({ name: 'no-pulls', Ignore: { MediaTypes: [], Actions: ['pull'] } });
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    // Warnings depend on the Redis the suite runs against (redis-risks.test.ts checks them).
    const { warnings: _warnings, ...readiness } = (await ready.json()) as Record<string, unknown>;
    expect(readiness).toStrictEqual({ status: 'ready', checks: { redis: true, worker: true } });
  });

  it('serves the board with the login and refuses it without', async () => {
    expect((await fetch(`${base}/board`)).status).toBe(401);
    const wrong = await fetch(`${base}/board`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${base}/board`, { headers: { authorization: `Basic ${Buffer.from('admin:board-pass').toString('base64')}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<html');
  });

  it("carries the registry's W3C traceparent to the delivery, and ignores a malformed one", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const post = (id: string, header: string) =>
      fetch(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': V1, authorization: 'Bearer e2e-token', traceparent: header },
        body: JSON.stringify({ events: [{ id, timestamp: new Date().toISOString(), action: 'push', target: { repository: 'team/app', tag: id } }] }),
      });
    expect((await post('traced-1', traceparent)).status).toBe(202);
    expect((await post('traced-2', '00-not-a-trace-01')).status).toBe(202);
    await all.until(() => ['traced-1', 'traced-2'].every((id) => all.delivered.includes(id)));
    const header = (id: string) => all.deliveries.find((d) => d.eventIds.includes(id))!.headers['traceparent'];
    // No OpenTelemetry SDK in this process: the context goes on unchanged.
    expect([header('traced-1'), header('traced-2')]).toStrictEqual([traceparent, undefined]);
  });
});
