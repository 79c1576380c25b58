import { ConfigError } from '@herald/config';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../../../test/helpers/redis-keys.js';
import { freePort } from '../../../test/helpers/redis-server.js';
import { basic, BoardHarness, LogCapture, PASSWORD, USER } from './board-fixture.js';

interface QueuesBody {
  queues: { name: string; counts: Record<string, number>; readOnlyMode: boolean }[];
}

const AUTH = basic(USER, PASSWORD);
const QUEUES = ['endpoint.audit', 'endpoint.archive', 'events'];

let h: BoardHarness;
beforeEach(() => {
  h = new BoardHarness();
});
afterEach(async () => {
  await h.close();
});

describe('registerBoard', () => {
  it('serves the page and lists the ingress queue and every endpoint queue, disabled ones included', async () => {
    await h.queue('endpoint.audit').add('delivery', { events: [] });
    const { app, board } = await h.start();
    expect(board.queues).toStrictEqual(QUEUES);
    expect(board.basePath).toBe('/board');

    const page = await app.inject({ url: '/board', headers: AUTH });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<title>Herald</title>');

    const api = await app.inject({ url: '/board/api/queues', headers: AUTH });
    expect(api.statusCode).toBe(200);
    const { queues } = api.json<QueuesBody>();
    expect(queues.map((queue) => queue.name).sort()).toStrictEqual([...QUEUES].sort());
    const count = (name: string) => queues.find((queue) => queue.name === name)!.counts['waiting'];
    expect(count('endpoint.audit')).toBe(1);
    expect(count('events')).toBe(0);
    expect(count('endpoint.archive')).toBe(0);
  });

  it('serves its static files to the right credentials', async () => {
    const { app } = await h.start();
    const asset = await app.inject({ url: '/board/static/images/logo.svg', headers: AUTH });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  it('answers 401 with a Basic challenge to a missing, wrong or malformed login on every path under the board', async () => {
    const { app } = await h.start();
    const logins = {
      none: {},
      'wrong password': basic(USER, 'wrong'),
      'wrong user': basic('admin', PASSWORD),
      'empty password': basic(USER, ''),
      'password as user': basic(PASSWORD, USER),
      'another scheme': { authorization: `Bearer ${PASSWORD}` },
    };
    const requests = [
      { method: 'GET', url: '/board' },
      { method: 'GET', url: '/board/' },
      { method: 'GET', url: '/board/queue/events' },
      { method: 'GET', url: '/board/static/images/logo.svg' },
      { method: 'GET', url: '/board/static/does-not-exist.js' },
      { method: 'GET', url: '/board/api/queues' },
      { method: 'GET', url: '/board/api/redis/stats' },
      { method: 'PUT', url: '/board/api/queues/endpoint.audit/retry/failed' },
      { method: 'PUT', url: '/board/api/queues/endpoint.audit/empty' },
      { method: 'GET', url: '/board/no-such-page' },
    ] as const;
    for (const [login, headers] of Object.entries(logins)) {
      for (const request of requests) {
        const response = await app.inject({ ...request, headers });
        expect({ login, ...request, status: response.statusCode }).toStrictEqual({ login, ...request, status: 401 });
        expect(response.headers['www-authenticate']).toBe('Basic realm="Herald board"');
        expect(response.json()).toStrictEqual({ error: 'unauthorized', message: expect.any(String) });
      }
    }
  });

  it('answers 404, not 401, to the right credentials on an unknown path under the board', async () => {
    const { app } = await h.start();
    expect((await app.inject({ url: '/board/no-such-page', headers: AUTH })).statusCode).toBe(404);
  });

  it('leaves routes outside the board alone', async () => {
    const { app } = await h.start();
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/boardroom' })).statusCode).toBe(404);
  });

  it('needs no credentials when username is empty on a loopback host', async () => {
    const { app } = await h.start({ username: '', password: '', host: '127.0.0.1' });
    expect((await app.inject({ url: '/board' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/board/api/queues' })).statusCode).toBe(200);
  });

  it('mounts at another basePath', async () => {
    const { app, board } = await h.start({ basePath: '/ops/queues/' });
    expect(board.basePath).toBe('/ops/queues');
    expect((await app.inject({ url: '/ops/queues/api/queues', headers: AUTH })).statusCode).toBe(200);
    expect((await app.inject({ url: '/ops/queues/api/queues' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/board', headers: AUTH })).statusCode).toBe(404);
  });

  it('refuses a non-loopback host without a username, naming board.username and why', async () => {
    const error = await h.start({ username: '', password: '', host: '0.0.0.0' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('HERALD_ERR_CONFIG');
    expect((error as ConfigError).problems).toStrictEqual([
      {
        key: 'board.username',
        reason: 'is required when http.host is not loopback (0.0.0.0): without it anyone who can reach the port can retry and delete jobs',
      },
    ]);
    expect((error as ConfigError).message).toMatch(/^board\.username: .*anyone who can reach the port can retry and delete jobs/);
  });

  it('refuses a username without a password', async () => {
    const error = await h.start({ username: USER, password: '', host: '0.0.0.0' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toStrictEqual([{ key: 'board.password', reason: 'is required with board.username' }]);
  });

  it('refuses to retry, remove or empty while read-only, and changes nothing in Redis', async () => {
    const jobId = await h.failedJob('endpoint.audit');
    const queue = h.queue('endpoint.audit');
    const { app } = await h.start({ readOnly: true });
    const api = await app.inject({ url: '/board/api/queues', headers: AUTH });
    expect(api.json<QueuesBody>().queues.every((entry) => entry.readOnlyMode)).toBe(true);
    for (const url of [
      '/board/api/queues/endpoint.audit/retry/failed',
      `/board/api/queues/endpoint.audit/${jobId}/retry`,
      `/board/api/queues/endpoint.audit/${jobId}/clean`,
      '/board/api/queues/endpoint.audit/clean/failed',
      '/board/api/queues/endpoint.audit/empty',
      '/board/api/queues/endpoint.audit/pause',
    ]) {
      const response = await app.inject({ method: 'PUT', url, headers: AUTH });
      expect({ url, status: response.statusCode }).toStrictEqual({ url, status: 405 });
    }
    expect(await queue.getJobState(jobId)).toBe('failed');
    expect(await queue.isPaused()).toBe(false);
  });

  it('retries and removes jobs when not read-only', async () => {
    const retried = await h.failedJob('endpoint.audit');
    const removed = await h.failedJob('endpoint.audit');
    const queue = h.queue('endpoint.audit');
    const { app } = await h.start({ readOnly: false });
    const retry = await app.inject({ method: 'PUT', url: `/board/api/queues/endpoint.audit/${retried}/retry`, headers: AUTH });
    expect(retry.statusCode).toBe(204);
    expect(await queue.getJobState(retried)).toBe('waiting');
    const clean = await app.inject({ method: 'PUT', url: `/board/api/queues/endpoint.audit/${removed}/clean`, headers: AUTH });
    expect(clean.statusCode).toBe(204);
    expect(await queue.getJob(removed)).toBeUndefined();
  });

  it('refuses a change asked by a page of another site, and changes nothing in Redis', async () => {
    const failed = await h.failedJob('endpoint.audit');
    const queue = h.queue('endpoint.audit');
    const { app } = await h.start({ readOnly: false });
    const url = `/board/api/queues/endpoint.audit/${failed}/retry`;
    const host = { ...AUTH, host: 'herald.internal:8420' };
    for (const headers of [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
      { origin: 'http://herald.internal:8421' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' },
    ]) {
      const response = await app.inject({ method: 'PUT', url, headers: { ...host, ...headers } });
      expect({ headers, status: response.statusCode, body: response.json() }).toStrictEqual({
        headers,
        status: 403,
        body: { error: 'cross_site', message: expect.stringMatching(/^the board changes jobs only from its own pages \(/) },
      });
    }
    expect(await queue.getJobState(failed)).toBe('failed');
    // Reading stays open to any origin with the login, and its own pages (or a tool) may change jobs.
    expect((await app.inject({ url: '/board/api/queues', headers: { ...host, 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(200);
    const own = await app.inject({ method: 'PUT', url, headers: { ...host, 'sec-fetch-site': 'same-origin', origin: 'http://herald.internal:8420' } });
    expect(own.statusCode).toBe(204);
    expect(await queue.getJobState(failed)).toBe('waiting');
  });

  it('never logs the password or the Authorization header, even at trace', async () => {
    const capture = new LogCapture();
    const logger = pino({ level: 'trace' }, capture);
    const { app } = await h.start({ logger }, logger);
    const wrong = basic(USER, `${PASSWORD}-typo`);
    for (const headers of [AUTH, wrong, {}]) {
      await app.inject({ url: '/board/api/queues', headers });
      await app.inject({ url: '/board', headers });
    }
    await app.close();
    const text = capture.text.join('\n');
    expect(text).toContain('board mounted');
    expect(text).toContain('board request unauthorized');
    expect(text).toContain('incoming request');
    for (const secret of [PASSWORD, AUTH.authorization, AUTH.authorization.slice(6), wrong.authorization.slice(6)]) {
      expect(text).not.toContain(secret);
    }
    expect(text.toLowerCase()).not.toContain('authorization');
  });

  it('answers 503 to API requests while Redis is unreachable, still serves the page, and closes', async () => {
    const { app } = await h.start({ redis: `redis://127.0.0.1:${await freePort()}` });
    const started = Date.now();
    const api = await app.inject({ url: '/board/api/queues', headers: AUTH });
    expect(api.statusCode).toBe(503);
    expect(api.headers['retry-after']).toBe('5');
    expect(api.json()).toStrictEqual({ error: 'unavailable', message: expect.any(String) });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await app.inject({ url: '/board', headers: AUTH })).statusCode).toBe(200);
    await app.close();
  });

  it('closes its Redis connection with the fastify instance, and close() may be called again', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const clients = async () => ((await redis.client('LIST')) as string).split('\n').filter(Boolean).length;
      const before = await clients();
      const { app, board } = await h.start();
      await app.inject({ url: '/board/api/queues', headers: AUTH });
      expect(await clients()).toBe(before + 1);
      await app.close();
      await board.close();
      expect(await clients()).toBe(before);
    } finally {
      redis.disconnect();
    }
  });
});
