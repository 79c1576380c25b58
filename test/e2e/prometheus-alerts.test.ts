import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeraldProcess } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { freePort } from '../helpers/redis-server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * The alert rules and the dashboard under docs/deploy: promtool checks and unit-tests the
 * rules; then a real Prometheus scrapes a real Herald, with the rules' windows shortened to
 * seconds, and HeraldEndpointFailing fires for the endpoint that is down and only for it.
 * Debian's prometheus package ships both binaries; bash .ci/run installs it.
 */

const DIR = fileURLToPath(new URL('../../docs/deploy/prometheus/', import.meta.url));
const RULES = join(DIR, 'herald-alerts.yml');
const DASHBOARD = JSON.parse(readFileSync(new URL('../../docs/deploy/grafana/herald-dashboard.json', import.meta.url), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const V1 = 'application/vnd.docker.distribution.events.v1+json';
const hasPrometheus = spawnSync('prometheus', ['--version']).error === undefined;
if (!hasPrometheus) console.warn('prometheus-alerts skipped: prometheus is not on PATH (apt-get install prometheus; bash .ci/run does)');

const work = mkdtempSync(join(tmpdir(), 'herald-prometheus-'));
const prefix = testPrefix();
let up: WebhookReceiver;
let down: WebhookReceiver;
let herald: HeraldProcess;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let heraldUrl: string;

interface Alert {
  labels: Record<string, string>;
  state: string;
}

async function alerts(): Promise<Alert[]> {
  const body = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } };
  return body.data.alerts;
}

async function query(expr: string): Promise<{ status: string; error?: string }> {
  return (await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { status: string; error?: string };
}

/** GitHub's anchor of a Markdown heading. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
}

describe('alert rules', () => {
  it('link to runbook sections that exist in docs/operations.md', () => {
    const runbook = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const anchors = new Set(runbook.split('\n').filter((line) => line.startsWith('## ')).map((line) => anchor(line.slice(3))));
    const linked = [...readFileSync(RULES, 'utf8').matchAll(/runbook: 'docs\/operations\.md#([\w-]+)'/g)].map((match) => match[1]!);
    expect(linked.length).toBe(8);
    expect(linked.filter((name) => !anchors.has(name))).toStrictEqual([]);
  });

  it('pass promtool check rules', () => {
    const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    if (check.error !== undefined) return void console.warn(`promtool skipped: ${check.error.message}`);
    expect({ status: check.status, output: check.stdout + check.stderr }).toMatchObject({ status: 0, output: expect.stringContaining('SUCCESS: 8 rules found') });
  });

  it('pass their unit tests (promtool test rules)', () => {
    const test = spawnSync('promtool', ['test', 'rules', 'herald-alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    if (test.error !== undefined) return void console.warn(`promtool skipped: ${test.error.message}`);
    expect({ status: test.status, output: test.stdout + test.stderr }).toMatchObject({ status: 0, output: expect.stringContaining('SUCCESS') });
  });
});

describe.skipIf(!hasPrometheus)('a real Prometheus scraping a real Herald', () => {
  beforeAll(async () => {
    [up, down] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
    down.reply = () => ({ status: 503 });
    herald = new HeraldProcess(['start'], {
      HERALD_REDIS_URL: REDIS_URL,
      HERALD_REDIS_PREFIX: prefix,
      HERALD_HTTP_PORT: '0',
      HERALD_INGEST_TOKEN: 'prom-token',
      HERALD_LOG_LEVEL: 'error',
      HERALD_ENDPOINTS: JSON.stringify([
        { name: 'up', url: up.url },
        { name: 'down', url: down.url, backoff: '100ms', maxbackoff: '200ms' },
      ]),
    });
    await herald.waitFor('health: ');
    heraldUrl = /health: (http:\/\/[^/]+)\/healthz/.exec(herald.output.join(''))![1]!;

    // The shipped rules with their windows in seconds, so that they fire within the test.
    const rules = readFileSync(RULES, 'utf8')
      .replace(/\[\d+m\]/g, '[15s]')
      .replace(/for: \d+m/g, 'for: 3s');
    writeFileSync(join(work, 'rules.yml'), rules);
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(work, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [rules.yml]',
        'scrape_configs:',
        `  - job_name: herald`,
        `    static_configs: [{ targets: ["${new URL(heraldUrl).host}"] }]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn('prometheus', [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${prometheusUrl}/-/ready`).then((response) => response.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline || prometheus.exitCode !== null) throw new Error('prometheus did not start');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 60_000);

  afterAll(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await herald?.stop();
    await Promise.all([up?.close(), down?.close()]);
    await deleteKeys(REDIS_URL, prefix);
    rmSync(work, { recursive: true, force: true });
  });

  it('fires HeraldEndpointFailing for the endpoint that is down, and for no other', async () => {
    let sent = 0;
    const deadline = Date.now() + 60_000;
    let firing: Alert[] = [];
    while (Date.now() < deadline) {
      sent += 1;
      const response = await fetch(`${heraldUrl}/events`, {
        method: 'POST',
        headers: { 'content-type': V1, authorization: 'Bearer prom-token' },
        body: JSON.stringify({ events: [{ id: `prom-${sent}`, timestamp: new Date().toISOString(), action: 'push', target: { repository: 'team/app', tag: `v${sent}` } }] }),
      });
      expect(response.status).toBe(202);
      firing = (await alerts()).filter((alert) => alert.labels['alertname'] === 'HeraldEndpointFailing' && alert.state === 'firing');
      if (firing.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(firing.map((alert) => alert.labels)).toStrictEqual([{ alertname: 'HeraldEndpointFailing', endpoint: 'down', severity: 'warning' }]);
    expect(up.delivered.length).toBeGreaterThan(0);
    expect(down.delivered).toStrictEqual([]);
  });

  it("serves every metric the dashboard and the rules read, and Prometheus accepts every dashboard query", async () => {
    const exposed = new Set(
      (await (await fetch(`${heraldUrl}/metrics`)).text())
        .split('\n')
        .filter((line) => line.startsWith('# TYPE '))
        .map((line) => line.split(' ')[2]!),
    );
    const rules = readFileSync(RULES, 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    const expressions = [...DASHBOARD.panels.flatMap((panel) => panel.targets.map((target) => target.expr)), rules];
    const used = new Set(expressions.flatMap((expr) => expr.match(/herald_[a-z_]+/g) ?? []).map((name) => name.replace(/_bucket$/, '')));
    expect([...used].filter((name) => !exposed.has(name))).toStrictEqual([]);
    for (const panel of DASHBOARD.panels) {
      for (const { expr } of panel.targets) {
        expect({ panel: panel.title, ...(await query(expr.replaceAll('$__rate_interval', '15s'))) }).toMatchObject({ panel: panel.title, status: 'success' });
      }
    }
  });
});
