import { ConfigError } from '@herald/config';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { checkBoardOptions, withDefaults, type BoardOptions } from './board-options.js';

const appLogger = Fastify({ logger: false }).log;
const base: BoardOptions = { redis: 'redis://127.0.0.1:6379', prefix: 'herald', endpoints: [], host: '127.0.0.1' };

function problemsOf(options: Partial<BoardOptions>): unknown {
  try {
    checkBoardOptions(withDefaults({ ...base, ...options }, appLogger));
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

describe('withDefaults', () => {
  it('applies every default', () => {
    expect(withDefaults(base, appLogger)).toStrictEqual({
      ...base,
      username: '',
      password: '',
      readOnly: false,
      basePath: '/board',
      logger: appLogger,
    });
  });

  it('drops a trailing slash of basePath', () => {
    expect(withDefaults({ ...base, basePath: '/ops/queues/' }, appLogger).basePath).toBe('/ops/queues');
  });
});

describe('checkBoardOptions', () => {
  it('allows no auth on loopback', () => {
    expect(problemsOf({ host: '127.0.0.1' })).toStrictEqual([]);
    expect(problemsOf({ host: '::1' })).toStrictEqual([]);
    expect(problemsOf({ host: 'localhost' })).toStrictEqual([]);
  });

  it('allows auth on any host', () => {
    expect(problemsOf({ host: '0.0.0.0', username: 'ops', password: 's3cret' })).toStrictEqual([]);
  });

  it('requires a username when the host is not loopback, and says why', () => {
    expect(problemsOf({ host: '0.0.0.0' })).toStrictEqual([
      {
        key: 'board.username',
        reason: 'is required when http.host is not loopback (0.0.0.0): without it anyone who can reach the port can retry and delete jobs',
      },
    ]);
  });

  it('requires a password with a username, even on loopback', () => {
    expect(problemsOf({ username: 'ops' })).toStrictEqual([{ key: 'board.password', reason: 'is required with board.username' }]);
  });

  it('refuses a password without a username', () => {
    expect(problemsOf({ password: 's3cret' })).toStrictEqual([
      { key: 'board.username', reason: 'is required with board.password: without it the board has no auth' },
    ]);
  });

  it('refuses a username with a colon', () => {
    expect(problemsOf({ username: 'a:b', password: 's3cret' })).toStrictEqual([
      { key: 'board.username', reason: 'must not contain ":" (Basic auth cannot carry it)' },
    ]);
  });

  it.each(['/', '', 'board', '/a b', '/board?x=1'])('refuses basePath %j', (basePath) => {
    expect(problemsOf({ basePath })).toMatchObject([{ key: 'basePath' }]);
  });

  it('never puts the password in the error', () => {
    try {
      checkBoardOptions(withDefaults({ ...base, host: '0.0.0.0', password: 'hunter2-secret' }, appLogger));
      expect.unreachable();
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2-secret');
    }
  });
});
