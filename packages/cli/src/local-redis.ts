import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { isLoopbackHost } from '@herald/config';
import { RECOMMENDED_HASH_MAX_LISTPACK_VALUE } from '@herald/producer';

/** Whether a Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch (error) {
    // A Redis that asks for a password answers too: the config's credentials are Herald's business.
    return /NOAUTH|WRONGPASS/.test((error as Error).message);
  } finally {
    probe.disconnect();
  }
}

/** A redis-server Herald started for itself, with AOF, stopped when Herald exits. */
export interface LocalRedis {
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * Starts a redis-server on the host and port of `url` with its data (AOF, fsync every
 * second) in `dir`, when the URL points at this machine and redis-server is on PATH.
 * Returns undefined when it cannot: the caller says how to get a Redis.
 */
export async function startLocalRedis(url: string, dir = '.herald/redis'): Promise<LocalRedis | undefined> {
  const parsed = new URL(url);
  if (!isLoopbackHost(parsed.hostname)) return undefined;
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const path = resolve(dir);
  mkdirSync(path, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', parsed.hostname.replace(/^\[|\]$/g, ''), '--port', parsed.port || '6379', '--dir', path, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction', '--hash-max-listpack-value', String(RECOMMENDED_HASH_MAX_LISTPACK_VALUE), '--logfile', 'redis.log'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      return undefined;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    dir: path,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
