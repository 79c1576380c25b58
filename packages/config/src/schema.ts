import convict from 'convict';

/**
 * The convict schema shared by every Herald process. Each key has a doc, a format,
 * a default and a HERALD_* variable; secrets are `sensitive`. Endpoints are checked
 * entry by entry in endpoint.ts, which knows distribution's keys.
 */

function positiveInteger(value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Error('must be a positive integer');
  }
}

function plainString(value: unknown): void {
  if (typeof value !== 'string') throw new Error('must be a string');
}

convict.addFormats({
  'positive-int': { validate: positiveInteger, coerce: (value: string) => Number(value) },
  'plain-string': { validate: plainString },
  'host-name': {
    validate(value: unknown) {
      if (typeof value !== 'string' || value.trim() === '') throw new Error('must be a host name or IP address');
    },
  },
  'redis-url': {
    validate(value: unknown) {
      let url: URL;
      try {
        url = new URL(String(value));
      } catch {
        throw new Error('must be a redis:// or rediss:// URL');
      }
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('must be a redis:// or rediss:// URL');
    },
  },
  'redis-prefix': {
    validate(value: unknown) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9_.{}-]{1,64}$/.test(value)) {
        throw new Error('must be 1 to 64 letters, digits, ".", "_", "-" or braces (a Redis Cluster hash tag)');
      }
    },
  },
  'strict-boolean': {
    validate(value: unknown) {
      if (typeof value !== 'boolean') throw new Error('must be true or false');
    },
    coerce: (value: string) => (value === 'true' ? true : value === 'false' ? false : value),
  },
  // loadConfig() reads endpoints itself (file, registry config or HERALD_ENDPOINTS as
  // JSON) and readEndpoints() checks each key; this entry documents the key.
  'endpoint-list': { validate() {} },
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const schema = {
  redis: {
    url: {
      doc: 'Redis holding every Herald queue. REDIS_URL is read too.',
      format: 'redis-url',
      default: 'redis://127.0.0.1:6379',
      env: 'HERALD_REDIS_URL',
      sensitive: true,
    },
    prefix: {
      doc: 'Prefix of every Redis key Herald writes; processes sharing a prefix share queues.',
      format: 'redis-prefix',
      default: 'herald',
      env: 'HERALD_REDIS_PREFIX',
    },
  },
  http: {
    host: {
      doc: 'Address the process HTTP server (ingest, board, metrics, health) binds to.',
      format: 'host-name',
      default: '127.0.0.1',
      env: 'HERALD_HTTP_HOST',
    },
    port: {
      doc: 'Port of the process HTTP server.',
      format: 'port',
      default: 8420,
      env: 'HERALD_HTTP_PORT',
    },
  },
  ingest: {
    token: {
      doc: 'Bearer token registries must send to POST /events; empty accepts any request, on loopback only unless ingest.allowAnonymous is set.',
      format: 'plain-string',
      default: '',
      env: 'HERALD_INGEST_TOKEN',
      sensitive: true,
    },
    allowAnonymous: {
      doc: 'Accept events without a token when http.host is not loopback; without it, ingest refuses to start off loopback with no ingest.token.',
      format: 'strict-boolean',
      default: false,
      env: 'HERALD_INGEST_ALLOW_ANONYMOUS',
    },
    maxBodyBytes: {
      doc: 'Largest envelope ingest accepts, in bytes; larger ones get 413.',
      format: 'positive-int',
      default: 1_048_576,
      env: 'HERALD_INGEST_MAX_BODY_BYTES',
    },
  },
  board: {
    username: {
      doc: 'Basic-auth user of the board; empty disables auth (loopback only).',
      format: 'plain-string',
      default: '',
      env: 'HERALD_BOARD_USERNAME',
    },
    password: {
      doc: 'Basic-auth password of the board.',
      format: 'plain-string',
      default: '',
      env: 'HERALD_BOARD_PASSWORD',
      sensitive: true,
    },
    readOnly: {
      doc: 'Board shows queues but cannot retry, remove or promote jobs.',
      format: 'strict-boolean',
      default: false,
      env: 'HERALD_BOARD_READ_ONLY',
    },
  },
  worker: {
    concurrency: {
      doc: 'Deliveries in flight per endpoint per worker process, unless the endpoint sets its own.',
      format: 'positive-int',
      default: 10,
      env: 'HERALD_WORKER_CONCURRENCY',
    },
    lockDurationMs: {
      doc: 'Lock of a job in flight, in ms; a killed worker\'s jobs are retried by others after about this long.',
      format: 'positive-int',
      default: 30_000,
      env: 'HERALD_WORKER_LOCK_DURATION_MS',
    },
  },
  log: {
    level: {
      doc: 'Least severe log level written.',
      format: [...LOG_LEVELS],
      default: 'info',
      env: 'HERALD_LOG_LEVEL',
    },
  },
  endpoints: {
    doc: 'Webhook endpoints, with distribution keys (name, url, headers, timeout, ...). Env: a JSON list.',
    format: 'endpoint-list',
    default: [] as unknown[],
    env: 'HERALD_ENDPOINTS',
  },
};

export type LogLevel = (typeof LOG_LEVELS)[number];
