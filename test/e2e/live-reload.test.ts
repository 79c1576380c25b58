import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeraldProcess, runHerald } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * Live reload of a running `herald start` while events stream in: SIGHUP adds an endpoint
 * and changes another without losing a delivery in flight; `herald reload` with a bad
 * file is refused, naming the key, and the running config keeps delivering.
 */

const dir = mkdtempSync(join(tmpdir(), 'herald-reload-'));
const file = join(dir, 'herald.yml');
const prefix = testPrefix();
const V1 = 'application/vnd.docker.distribution.events.v1+json';
let first: WebhookReceiver;
let second: WebhookReceiver;
let herald: HeraldProcess;
let base: string;
const env = { HERALD_CONFIG: file, HERALD_REDIS_URL: REDIS_URL, HERALD_REDIS_PREFIX: prefix };

function writeConfig(endpoints: string[]): void {
  writeFileSync(file, ['http: { host: 127.0.0.1, port: 0 }', 'ingest: { token: reload-token }', 'endpoints:', ...endpoints, ''].join('\n'));
}

let sequence = 0;
const accepted: { id: string; at: number }[] = [];
async function send(): Promise<void> {
  sequence += 1;
  const id = `reload-${sequence}`;
  const response = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': V1, authorization: 'Bearer reload-token' },
    body: JSON.stringify({ events: [{ id, timestamp: new Date().toISOString(), action: 'push', target: { repository: 'team/app', tag: `v${sequence}` } }] }),
  });
  expect(response.status).toBe(202);
  accepted.push({ id, at: Date.now() });
}

/** The JSON log lines herald printed with this message. */
function logged(message: string): Record<string, unknown>[] {
  return herald.output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(message))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  [first, second] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
  // Slow enough that deliveries are in flight when the reload comes.
  first.reply = () => ({ status: 200, delayMs: 40 });
  writeConfig([`  - { name: first, url: "${first.url}", backoff: 200ms }`]);
  herald = new HeraldProcess(['start'], env);
  await herald.waitFor('health: ');
  base = /ingest: POST events to (http:\/\/[^/]+)\/events/.exec(herald.output.join(''))![1]!;
});

afterAll(async () => {
  await herald?.stop();
  await Promise.all([first?.close(), second?.close()]);
  await deleteKeys(REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('live reload', () => {
  it('adds an endpoint and changes another on SIGHUP, mid-stream, losing nothing', async () => {
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        await send();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await until(() => first.delivered.length >= 20, 'deliveries to start');
    writeConfig([`  - { name: first, url: "${first.url}", backoff: 300ms }`, `  - { name: second, url: "${second.url}" }`]);
    herald.child.kill('SIGHUP');
    await until(() => logged('"msg":"config reloaded"').length === 1, 'the reload');
    const reloadedAt = Date.now();
    expect(logged('"msg":"config reloaded"')[0]).toMatchObject({ trigger: 'SIGHUP', added: ['second'], removed: [], changed: ['first'] });
    await until(() => second.delivered.length >= 20, 'deliveries to the added endpoint');
    streaming = false;
    await stream;

    const all = accepted.map((entry) => entry.id);
    await first.until(() => new Set(first.delivered).size === all.length);
    expect(new Set(first.delivered)).toStrictEqual(new Set(all));
    // The added endpoint gets what is accepted once its routes are published, and nothing unaccepted.
    await second.until(() => accepted.filter((entry) => entry.at > reloadedAt).every((entry) => second.delivered.includes(entry.id)));
    expect(second.delivered.every((id) => all.includes(id))).toBe(true);
    expect(logged('config reloaded, but')).toStrictEqual([]);

    const queues = (await (await fetch(`${base}/board/api/queues`)).json()) as { queues: { name: string; description?: string }[] };
    expect(queues.queues.map((queue) => queue.name).sort()).toStrictEqual(['endpoint.first', 'endpoint.second', 'events']);
  });

  it('refuses a bad config sent by herald reload, names the key, and keeps delivering with the running one', async () => {
    writeConfig([`  - { name: first, url: "ftp://127.0.0.1/hook" }`, `  - { name: second, url: "${second.url}" }`]);
    const asked = await runHerald(['reload', '--config', join(dir, 'good.yml')], env).catch(() => undefined);
    expect(asked).toBeDefined();
    // The fleet command checks the file it is given: a missing one asks nothing.
    expect(asked!.code).toBe(2);
    writeFileSync(join(dir, 'good.yml'), 'endpoints: []\n');
    const sent = await runHerald(['reload', '--config', join(dir, 'good.yml')], env);
    expect(sent).toMatchObject({ code: 0, stdout: 'asked 1 Herald process to reload; each logs "config reloaded" or "config reload refused"\n' });
    await until(() => logged('config reload refused').length === 1, 'the refusal');
    const [refusal] = logged('config reload refused');
    expect(refusal).toMatchObject({ level: 50, trigger: 'herald reload', problems: [{ key: 'endpoints[0].url', reason: expect.any(String) }] });
    expect(JSON.stringify(refusal)).not.toContain('ftp://');
    const before = first.delivered.length;
    await send();
    await first.until(() => first.delivered.length === before + 1);
    expect(first.delivered.at(-1)).toBe(accepted.at(-1)!.id);
  });
});
