import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeraldProcess, runHerald } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * egress.deny: [private] on a running Herald: an internal endpoint refused, an allowed one
 * delivered; allowing the internal one and reloading lets its waiting delivery through.
 */

const dir = mkdtempSync(join(tmpdir(), 'herald-egress-'));
const file = join(dir, 'herald.yml');
const prefix = testPrefix();
const V1 = 'application/vnd.docker.distribution.events.v1+json';
let internal: WebhookReceiver;
let allowed: WebhookReceiver;
let herald: HeraldProcess;
let base: string;
const env = { HERALD_CONFIG: file, HERALD_REDIS_URL: REDIS_URL, HERALD_REDIS_PREFIX: prefix };

function writeConfig(allow: string[]): void {
  const lines = [
    'http: { host: 127.0.0.1, port: 0 }',
    `egress: { deny: [private], allow: ${JSON.stringify(allow)} }`,
    'endpoints:',
    `  - { name: internal, url: "${internal.url}", backoff: 200ms, threshold: 100 }`,
    `  - { name: allowed, url: "${allowed.url}", egress: { allow: [127.0.0.1/32] } }`,
  ];
  writeFileSync(file, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  internal = await WebhookReceiver.start();
  allowed = await WebhookReceiver.start();
  writeConfig([]);
  herald = new HeraldProcess(['start'], env);
  await herald.waitFor('health: ');
  base = /ingest: POST events to (http:\/\/[^/]+)\/events/.exec(herald.output.join(''))![1]!;
});

afterAll(async () => {
  await herald?.stop();
  await internal?.close();
  await allowed?.close();
  await deleteKeys(REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

/** Prometheus samples of `name` by their label set. */
async function samples(name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const found = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) found.set(match[1] ?? '', Number(match[2]));
  return found;
}

describe('egress.deny: [private]', () => {
  it('refuses the internal endpoint, naming the rule in the log, the trace and the metrics, and delivers to the allowed one', async () => {
    const response = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': V1 },
      body: JSON.stringify({ events: [{ id: 'egress-1', timestamp: new Date().toISOString(), action: 'push', target: { repository: 'team/app', tag: 'v1' } }] }),
    });
    expect(response.status).toBe(202);
    await allowed.until(() => allowed.delivered.includes('egress-1'));
    await herald.waitFor('egress refused 127.0.0.1');
    // Retried like any endpoint error, and never connected.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(internal.deliveries).toHaveLength(0);
    expect(allowed.delivered).toStrictEqual(['egress-1']);
    const logged = herald.output.join('').split('\n').find((line) => line.includes('egress refused'));
    expect(JSON.parse(logged!).err.message).toBe(
      'endpoint "internal" not contacted: egress refused 127.0.0.1, loopback, by egress.deny: private (127.0.0.0/8); add it to egress.allow to permit it',
    );
    const errors = await samples('herald_endpoint_errors_total');
    expect(errors.get('{endpoint="internal"}')).toBeGreaterThanOrEqual(1);
    expect(errors.get('{endpoint="allowed"}') ?? 0).toBe(0);
    const trace = await runHerald(['trace', 'egress-1'], env);
    expect(trace.stdout).toContain('not contacted: egress refused 127.0.0.1, loopback, by egress.deny: private (127.0.0.0/8)');
  });

  it('delivers the refused event once egress.allow lets the endpoint through and Herald reloads', async () => {
    writeConfig(['127.0.0.1/32']);
    herald.child.kill('SIGHUP');
    await herald.waitFor('"msg":"config reloaded"');
    await internal.until(() => internal.delivered.includes('egress-1'));
    expect(internal.delivered).toStrictEqual(['egress-1']);
    expect(herald.output.join('')).not.toContain('config reload refused');
    // Egress settings apply on reload; nothing waits for a restart.
    expect(herald.output.join('')).not.toContain('take effect only at the next start');
  });
});
