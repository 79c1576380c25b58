import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heraldEnv, HeraldProcess, runHerald } from '../helpers/herald-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/** Several ingest tokens: each accepted, the name of the one used kept as the deliveries' source. */

const prefix = testPrefix();
const V1 = 'application/vnd.docker.distribution.events.v1+json';
const TOKENS = { 'registry-eu': 'eu-token-0a1b2c', 'registry-us': 'us-token-3d4e5f' };
let receiver: WebhookReceiver;
let herald: HeraldProcess;
let base: string;
let env: Record<string, string>;

async function post(id: string, token: string): Promise<number> {
  const response = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': V1, authorization: `Bearer ${token}` },
    body: JSON.stringify({ events: [{ id, timestamp: new Date().toISOString(), action: 'push', target: { repository: 'team/app', tag: id } }] }),
  });
  return response.status;
}

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  env = heraldEnv(REDIS_URL, prefix, {
    HERALD_INGEST_TOKEN: 'main-token-6a7b8c',
    HERALD_INGEST_TOKENS: JSON.stringify(TOKENS),
    HERALD_ENDPOINTS: JSON.stringify([{ name: 'hooks', url: receiver.url }]),
  });
  herald = new HeraldProcess(['start'], env);
  await herald.waitFor('health: ');
  base = /ingest: POST events to (http:\/\/[^/]+)\/events/.exec(herald.output.join(''))![1]!;
});

afterAll(async () => {
  await herald?.stop();
  await receiver?.close();
  await deleteKeys(REDIS_URL, prefix);
});

describe('ingest.tokens', () => {
  it('accepts every configured token, refuses any other, and prints none of them', async () => {
    expect(await post('via-main', 'main-token-6a7b8c')).toBe(202);
    expect(await post('via-eu', TOKENS['registry-eu'])).toBe(202);
    expect(await post('via-us', TOKENS['registry-us'])).toBe(202);
    expect(await post('via-wrong', 'eu-token-0a1b2')).toBe(401);
    await receiver.until(() => ['via-main', 'via-eu', 'via-us'].every((id) => receiver.delivered.includes(id)));
    expect(receiver.delivered).not.toContain('via-wrong');
    expect(herald.output.join('')).toContain('ingest: POST events to');
    expect(herald.output.join('')).toContain('send Authorization: Bearer <a token: ingest.token, registry-eu, registry-us>');
    for (const secret of ['main-token-6a7b8c', ...Object.values(TOKENS)]) expect(herald.output.join('')).not.toContain(secret);
    const printed = await runHerald(['config', 'check', '--print'], env);
    expect(printed.stdout).toContain('registry-eu');
    for (const secret of Object.values(TOKENS)) expect(printed.stdout).not.toContain(secret);
  });

  it('keeps the name of the token used as the source of its deliveries', async () => {
    const trace = async (id: string) => JSON.parse((await runHerald(['trace', id, '--json'], env)).stdout) as { acceptedBy?: string };
    expect((await trace('via-eu')).acceptedBy).toBe('ingest token registry-eu');
    expect((await trace('via-us')).acceptedBy).toBe('ingest token registry-us');
    expect((await trace('via-main')).acceptedBy).toBeUndefined();
    expect((await runHerald(['trace', 'via-eu'], env)).stdout).toMatch(/^accepted \S+ \(\d+s ago\) by ingest token registry-eu; delivery id /m);
  });

  it('refuses a token map it cannot use, naming the key', async () => {
    const bad = await runHerald(['config', 'check'], { ...env, HERALD_INGEST_TOKENS: '{"bad name":"x"}' });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('ingest.tokens: names must be 1 to 64 letters') });
    expect(bad.stderr).not.toContain('"x"');
    const empty = await runHerald(['config', 'check'], { ...env, HERALD_INGEST_TOKENS: '{"eu":""}' });
    expect(empty).toMatchObject({ code: 2, stderr: expect.stringContaining('ingest.tokens: token "eu" must be a non-empty string') });
  });
});
