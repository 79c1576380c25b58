import { ConfigError, credentialsRequiredOffLoopback, type ConfigProblem, type EndpointConfig } from '@herald/config';
import type { RedisConnectionSettings } from '@herald/producer';
import type { FastifyBaseLogger } from 'fastify';

/** Options of registerBoard. */
export interface BoardOptions {
  /** Redis holding the queues: a URL (`redis.url`), or Herald's `redis.*` settings (one server, a Redis Cluster or Sentinel). May carry a password: never logged. */
  redis: string | RedisConnectionSettings;
  /** Prefix of every Herald key in Redis (`redis.prefix`); the board shows that Herald's queues. */
  prefix: string;
  /** Every configured endpoint; disabled ones are shown too, their queues may still hold jobs. */
  endpoints: readonly EndpointConfig[];
  /** Basic-auth user (`board.username`); empty serves the board without auth, allowed only on loopback. @defaultValue '' */
  username?: string;
  /** Basic-auth password (`board.password`); required with `username`. Never logged. @defaultValue '' */
  password?: string;
  /** Show queues and jobs but refuse every change: retry, clean, promote, pause, add (`board.readOnly`). @defaultValue false */
  readOnly?: boolean;
  /** Path the board is mounted at, below the prefix of the fastify instance given. @defaultValue '/board' */
  basePath?: string;
  /** Address the HTTP server binds to (`http.host`); decides whether the board may go without auth. */
  host: string;
  /** Logger of the process; the board logs through a child with `component: 'board'`. @defaultValue the fastify instance's `app.log` */
  logger?: FastifyBaseLogger;
}

/** BoardOptions with every default applied. */
export type ResolvedBoardOptions = Required<BoardOptions>;

export const DEFAULT_BASE_PATH = '/board';

/** Applies the defaults of BoardOptions; `appLogger` is the fastify instance's. A trailing `/` of `basePath` is dropped. */
export function withDefaults(options: BoardOptions, appLogger: FastifyBaseLogger): ResolvedBoardOptions {
  const basePath = options.basePath ?? DEFAULT_BASE_PATH;
  return {
    redis: options.redis,
    prefix: options.prefix,
    endpoints: options.endpoints,
    username: options.username ?? '',
    password: options.password ?? '',
    readOnly: options.readOnly ?? false,
    basePath: basePath.length > 1 ? basePath.replace(/\/+$/, '') : basePath,
    host: options.host,
    logger: options.logger ?? appLogger,
  };
}

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Checks what the board may be exposed with, and throws one ConfigError listing every
 * problem: no user on a non-loopback host (anyone who reaches the port could retry and
 * delete jobs), a user without a password or containing `:`, a password without a user.
 */
export function checkBoardOptions(options: ResolvedBoardOptions): void {
  const problems: ConfigProblem[] = [];
  const { username, password, host } = options;
  if (username === '' && password !== '') {
    problems.push({ key: 'board.username', reason: 'is required with board.password: without it the board has no auth' });
  } else if (username === '') {
    const exposed = credentialsRequiredOffLoopback(host, 'board.username', 'anyone who can reach the port can retry and delete jobs');
    if (exposed !== undefined) problems.push(exposed);
  }
  if (username.includes(':')) problems.push({ key: 'board.username', reason: 'must not contain ":" (Basic auth cannot carry it)' });
  if (username !== '' && password === '') problems.push({ key: 'board.password', reason: 'is required with board.username' });
  if (!BASE_PATH.test(options.basePath)) {
    problems.push({ key: 'basePath', reason: 'must be a path below "/", like /board, of letters, digits, ".", "_", "~" and "-"' });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
