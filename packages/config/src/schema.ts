import convict from 'convict';
import { parseDuration } from './duration.js';
import { allowEntryProblem, denyEntryProblem } from './egress.js';
import { parseTokenMap, tokenMapProblem } from './token-map.js';

/**
 * The convict schema shared by every Herald process. Each key has a doc, a format,
 * a default and a HERALD_* variable; secrets are `sensitive`. Endpoints are checked
 * entry by entry in endpoint.ts, which knows distribution's keys.
 */

function nonNegativeInteger(value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error('must be 0 or a positive integer');
  }
}

function positiveInteger(value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Error('must be a positive integer');
  }
}

function plainString(value: unknown): void {
  if (typeof value !== 'string') throw new Error('must be a string');
}

function commaList(value: string): string[] {
  return value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
}

function checkRedisUrl(value: unknown): void {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new Error('must be a redis:// or rediss:// URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('must be a redis:// or rediss:// URL');
}

function checkList(value: unknown, problemOf: (entry: unknown) => string | undefined): void {
  if (!Array.isArray(value)) throw new Error('must be a list');
  const problem = value.map(problemOf).find((found) => found !== undefined);
  if (problem !== undefined) throw new Error(problem);
}

convict.addFormats({
  'positive-int': { validate: positiveInteger, coerce: (value: string) => Number(value) },
  'non-negative-int': { validate: nonNegativeInteger, coerce: (value: string) => Number(value) },
  'plain-string': { validate: plainString },
  'host-name': {
    validate(value: unknown) {
      if (typeof value !== 'string' || value.trim() === '') throw new Error('must be a host name or IP address');
    },
  },
  'redis-url': { validate: checkRedisUrl },
  // A list of node URLs; from the environment, comma-separated.
  'redis-url-list': {
    validate(value: unknown) {
      if (!Array.isArray(value)) throw new Error('must be a list of redis:// URLs');
      value.forEach(checkRedisUrl);
    },
    coerce: commaList,
  },
  'redis-prefix': {
    validate(value: unknown) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9_.{}-]{1,64}$/.test(value)) {
        throw new Error('must be 1 to 64 letters, digits, ".", "_", "-" or braces (a Redis Cluster hash tag)');
      }
    },
  },
  duration: {
    validate(value: unknown) {
      if (typeof value !== 'string') throw new Error('must be a duration such as "3h" or "30m"');
      parseDuration(value);
    },
  },
  // Named secrets: { name: token }; from the environment, a JSON object. load-config.ts
  // reads this key itself (token-map.ts); the format documents it and checks the example.
  'token-map': {
    validate(value: unknown) {
      const problem = tokenMapProblem(value);
      if (problem !== undefined) throw new Error(problem);
    },
    coerce: parseTokenMap,
  },
  // A boolean whose default depends on another key: null until load-config resolves it.
  'optional-boolean': {
    validate(value: unknown) {
      if (value !== null && typeof value !== 'boolean') throw new Error('must be true or false');
    },
    coerce: (value: string) => (value === 'true' ? true : value === 'false' ? false : value),
  },
  'strict-boolean': {
    validate(value: unknown) {
      if (typeof value !== 'boolean') throw new Error('must be true or false');
    },
    coerce: (value: string) => (value === 'true' ? true : value === 'false' ? false : value),
  },
  // Lists of egress rules; from the environment, comma-separated.
  'egress-deny': { validate: (value: unknown) => checkList(value, denyEntryProblem), coerce: commaList },
  'egress-allow': { validate: (value: unknown) => checkList(value, allowEntryProblem), coerce: commaList },
  // loadConfig() reads endpoints itself (file, registry config or HERALD_ENDPOINTS as
  // JSON) and readEndpoints() checks each key; this entry documents the key.
  'endpoint-list': { validate() {} },
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every setting besides the endpoints. `doc` is the sentence docs/configuration.md shows
 * (generated from here: `npm run docs:config`); `example` is a value that passes the
 * format, shown there too and checked by config-reference.test.ts.
 */
export const schema = {
  redis: {
    url: {
      doc: 'Redis holding every Herald queue; `rediss://` for TLS. `REDIS_URL` is read too (`HERALD_REDIS_URL` wins). Secret: it may carry a password.',
      format: 'redis-url',
      default: 'redis://127.0.0.1:6379',
      env: 'HERALD_REDIS_URL',
      sensitive: true,
      example: 'redis://:s3cr3t@redis.internal:6379/0',
    },
    passwordFile: {
      doc: 'File holding the Redis password (a mounted Kubernetes or Docker secret); it replaces any password in `redis.url`. One trailing newline is dropped.',
      format: 'plain-string',
      default: '',
      env: 'HERALD_REDIS_PASSWORD_FILE',
      example: '/run/secrets/redis-password',
    },
    cluster: {
      nodes: {
        doc: 'A Redis Cluster instead of `redis.url`: a few of its nodes (`redis://host:port`), from which Herald learns the rest. Each endpoint\'s queue then sits in a hash slot of its own. In the environment: comma-separated. Secret: URLs may carry a password.',
        format: 'redis-url-list',
        default: [] as string[],
        env: 'HERALD_REDIS_CLUSTER_NODES',
        sensitive: true,
        example: 'redis://10.0.1.1:6379,redis://10.0.1.2:6379,redis://10.0.1.3:6379',
      },
    },
    sentinel: {
      name: {
        doc: 'The master name Sentinel monitors (`sentinel monitor <name> …`); with `redis.sentinel.nodes`, Herald asks the Sentinels where the master is, instead of using `redis.url`.',
        format: 'plain-string',
        default: '',
        env: 'HERALD_REDIS_SENTINEL_NAME',
        example: 'herald',
      },
      nodes: {
        doc: 'The Sentinels (`redis://host:port`, usually port 26379), with `redis.sentinel.name`. The master\'s password is `redis.passwordFile` (or in these URLs). In the environment: comma-separated.',
        format: 'redis-url-list',
        default: [] as string[],
        env: 'HERALD_REDIS_SENTINEL_NODES',
        sensitive: true,
        example: 'redis://10.0.2.1:26379,redis://10.0.2.2:26379,redis://10.0.2.3:26379',
      },
    },
    durability: {
      doc: 'When a write counts as done. `acknowledged`: the Redis that took it has it (in memory, and on disk as its AOF policy says). `replicated`: a replica has it too (Redis `WAIT`), so a failover loses nothing acknowledged; a write no replica confirms in time fails, and can be retried.',
      format: ['acknowledged', 'replicated'],
      default: 'acknowledged',
      env: 'HERALD_REDIS_DURABILITY',
      example: 'replicated',
    },
    prefix: {
      doc: 'Prefix of every Redis key Herald writes; processes with the same prefix share queues. 1 to 64 letters, digits, `.`, `_`, `-` or braces.',
      format: 'redis-prefix',
      default: 'herald',
      env: 'HERALD_REDIS_PREFIX',
      example: 'herald-staging',
    },
  },
  http: {
    host: {
      doc: 'Address of the process\'s one HTTP server (ingest, board, metrics, health). Off loopback, ingest needs `ingest.token` and the board `board.username`.',
      format: 'host-name',
      default: '127.0.0.1',
      env: 'HERALD_HTTP_HOST',
      example: '0.0.0.0',
    },
    port: {
      doc: 'Port of that HTTP server.',
      format: 'port',
      default: 8420,
      env: 'HERALD_HTTP_PORT',
      example: 8080,
    },
  },
  ingest: {
    token: {
      doc: 'Bearer token registries must send to `POST /events`. Empty accepts any request, and is refused at start when `http.host` is not loopback unless `ingest.allowAnonymous` is set. Secret.',
      format: 'plain-string',
      default: '',
      env: 'HERALD_INGEST_TOKEN',
      sensitive: true,
      example: 'Zx8f2k9Qm4',
    },
    tokenFile: {
      doc: 'File holding `ingest.token` instead (a mounted secret); set one or the other. One trailing newline is dropped.',
      format: 'plain-string',
      default: '',
      env: 'HERALD_INGEST_TOKEN_FILE',
      example: '/run/secrets/herald-ingest-token',
    },
    tokens: {
      doc: 'More bearer tokens ingest accepts besides `ingest.token`, by name: one per registry, or the old and the new while rotating (add the new, restart ingest, move the registries to it, remove the old, restart again). The name of the token a request used is kept with its deliveries (`herald trace` shows `ingest token NAME`). Secret. In the environment: a JSON object.',
      format: 'token-map',
      default: {} as Record<string, string>,
      env: 'HERALD_INGEST_TOKENS',
      sensitive: true,
      example: '{"registry-eu":"Zx8f2k9Qm4","registry-us":"Lp3a7Vb2Qe"}',
    },
    allowAnonymous: {
      doc: 'Accept events without a token off loopback, on purpose: anyone who reaches the port can then send events. (`/metrics` and `/debug/vars` never ask for the token: keep the port private.)',
      format: 'strict-boolean',
      default: false,
      env: 'HERALD_INGEST_ALLOW_ANONYMOUS',
      example: true,
    },
    maxBodyBytes: {
      doc: 'Largest envelope ingest accepts, in bytes; a larger one gets 413.',
      format: 'positive-int',
      default: 1_048_576,
      env: 'HERALD_INGEST_MAX_BODY_BYTES',
      example: 4_194_304,
    },
  },
  board: {
    username: {
      doc: 'Basic-auth user of the board; empty means no login, allowed only when `http.host` is loopback.',
      format: 'plain-string',
      default: '',
      env: 'HERALD_BOARD_USERNAME',
      example: 'admin',
    },
    password: {
      doc: 'Basic-auth password of the board; required with `board.username`. Secret.',
      format: 'plain-string',
      default: '',
      env: 'HERALD_BOARD_PASSWORD',
      sensitive: true,
      example: 'change-me',
    },
    passwordFile: {
      doc: 'File holding `board.password` instead (a mounted secret); set one or the other. One trailing newline is dropped.',
      format: 'plain-string',
      default: '',
      env: 'HERALD_BOARD_PASSWORD_FILE',
      example: '/run/secrets/herald-board-password',
    },
    readOnly: {
      doc: 'The board shows queues and jobs but cannot retry, remove, promote or pause anything. Unset, it is read-only whenever `http.host` is not loopback: set `false` to change jobs from a board others can reach.',
      format: 'optional-boolean',
      default: null as boolean | null,
      defaultText: '`true` off loopback, `false` on it',
      env: 'HERALD_BOARD_READ_ONLY',
      example: false,
    },
  },
  worker: {
    concurrency: {
      doc: 'Deliveries in flight per endpoint per worker process, unless the endpoint sets its own `concurrency`.',
      format: 'positive-int',
      default: 10,
      env: 'HERALD_WORKER_CONCURRENCY',
      example: 32,
    },
    lockDurationMs: {
      doc: 'Lock of a delivery in flight, in ms: when a worker dies, other workers retry what it held within about twice this long. `0`: each endpoint\'s own, the longer of 5 s and its `timeout`, so a killed worker\'s deliveries are retried within max(10 s, 2 × timeout). Set, it applies to every endpoint and must be at least twice every endpoint\'s `timeout`; at most 2147483647 (about 24 days, the longest timer Node runs).',
      format: 'non-negative-int',
      default: 0,
      env: 'HERALD_WORKER_LOCK_DURATION_MS',
      example: 20_000,
    },
    history: {
      doc: 'How long delivered deliveries are kept, for `herald trace` and `herald replay --since` (a duration; `0` keeps only the last 1,000 per endpoint). Each costs 1.6 KB of Redis memory (1.2 KB with `hash-max-listpack-value 1024`); `worker.historyLimit` bounds it.',
      format: 'duration',
      default: '3h',
      env: 'HERALD_WORKER_HISTORY',
      example: '24h',
    },
    historyLimit: {
      doc: 'Most delivered deliveries kept per endpoint within `worker.history`, the oldest dropped first: the default holds an endpoint\'s history to about 165 MB of Redis memory.',
      format: 'positive-int',
      default: 100_000,
      env: 'HERALD_WORKER_HISTORY_LIMIT',
      example: 1_000_000,
    },
  },
  egress: {
    deny: {
      doc: 'Addresses deliveries may not connect to, besides link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254), which are always refused. `private` refuses loopback, RFC 1918, CGNAT (100.64.0.0/10), unique local (fc00::/7) and unspecified addresses; CIDRs add ranges. Checked on the address each connection is made to. In the environment: comma-separated.',
      format: 'egress-deny',
      default: [] as string[],
      env: 'HERALD_EGRESS_DENY',
      example: 'private,198.51.100.0/24',
    },
    allow: {
      doc: 'Exceptions to every egress refusal, for all endpoints (an endpoint can add its own, `egress.allow`): CIDRs, IP addresses, host names as written in endpoint URLs, or `*.domain` for a domain\'s hosts. In the environment: comma-separated.',
      format: 'egress-allow',
      default: [] as string[],
      env: 'HERALD_EGRESS_ALLOW',
      example: 'hooks.internal.example,10.20.0.0/16',
    },
  },
  log: {
    level: {
      doc: 'Least severe log level written: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
      format: [...LOG_LEVELS],
      default: 'info',
      env: 'HERALD_LOG_LEVEL',
      example: 'debug',
    },
  },
  endpoints: {
    doc: 'Webhook endpoints, with distribution\'s keys ([below](#endpoints)). In the environment: a JSON list.',
    format: 'endpoint-list',
    default: [] as unknown[],
    env: 'HERALD_ENDPOINTS',
    example: '[{"name":"audit","url":"https://audit.example/hooks"}]',
  },
};

export type LogLevel = (typeof LOG_LEVELS)[number];
