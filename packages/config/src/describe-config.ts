import { formatDuration } from './duration.js';
import { formatByteSize } from './field-readers.js';
import type { HeraldConfig } from './load-config.js';
import { REDACTED, redactUrl } from './redact.js';
import { describeRedis } from './redis-settings.js';

const secret = (value: string): string => (value === '' ? '' : REDACTED);

/**
 * The configuration as it may be printed or logged: header values, tokens and
 * passwords replaced by `[redacted]`, URLs without credentials or query.
 */
export function describeConfig(config: HeraldConfig): Record<string, unknown> {
  return {
    redis: {
      mode: config.redis.mode,
      ...(config.redis.mode === 'standalone' ? { url: redactUrl(config.redis.url) } : {}),
      ...(config.redis.mode === 'cluster' ? { cluster: { nodes: config.redis.cluster.nodes.map(redactUrl) } } : {}),
      ...(config.redis.mode === 'sentinel' ? { sentinel: { name: config.redis.sentinel.name, nodes: config.redis.sentinel.nodes.map(redactUrl) } } : {}),
      ...(config.redis.password === undefined ? {} : { password: REDACTED }),
      prefix: config.redis.prefix,
      durability: config.redis.durability,
    },
    http: config.http,
    ingest: {
      token: secret(config.ingest.token),
      tokens: Object.fromEntries(Object.keys(config.ingest.tokens).map((name) => [name, REDACTED])),
      allowAnonymous: config.ingest.allowAnonymous, maxBodyBytes: config.ingest.maxBodyBytes,
    },
    board: { username: config.board.username, password: secret(config.board.password), readOnly: config.board.readOnly },
    worker: config.worker,
    log: config.log,
    endpoints: config.endpoints.map((endpoint) => ({
      name: endpoint.name,
      disabled: endpoint.disabled,
      url: redactUrl(endpoint.url),
      headers: Object.fromEntries(Object.keys(endpoint.headers).map((name) => [name, [REDACTED]])),
      timeout: formatDuration(endpoint.timeoutMs),
      threshold: endpoint.threshold,
      backoff: formatDuration(endpoint.backoffMs),
      maxbackoff: formatDuration(endpoint.maxBackoffMs),
      maxage: endpoint.maxAgeMs === 0 ? '0 (forever)' : formatDuration(endpoint.maxAgeMs),
      ignore: { mediatypes: endpoint.ignore.mediaTypes, actions: endpoint.ignore.actions },
      secret: endpoint.secrets.map(() => REDACTED),
      ordered: endpoint.ordered,
      mediatype: endpoint.mediaType,
      concurrency: endpoint.concurrency ?? config.worker.concurrency,
      maxbatch: endpoint.maxBatch,
      maxbatchbytes: formatByteSize(endpoint.maxBatchBytes),
      tls: endpoint.tls,
    })),
  };
}

/** One line saying what a configuration will do, without secrets. */
export function summarizeConfig(config: HeraldConfig): string {
  const enabled = config.endpoints.filter((endpoint) => !endpoint.disabled);
  const disabled = config.endpoints.length - enabled.length;
  // A batching endpoint shows its maxbatch: `bulk ×32`.
  const names = enabled.map((endpoint) => (endpoint.maxBatch > 1 ? `${endpoint.name} ×${endpoint.maxBatch}` : endpoint.name)).join(', ');
  const endpoints =
    config.endpoints.length === 0
      ? 'no endpoints'
      : `${enabled.length} endpoint${enabled.length === 1 ? '' : 's'}${names === '' ? '' : ` (${names})`}` +
        (disabled > 0 ? ` + ${disabled} disabled` : '');
  const from = config.source.registryConfig ? ' from a registry config.yml' : '';
  // Egress is worth a word only once something beyond the always-refused ranges is denied.
  const { deny, allow } = config.egress;
  const egress = deny.length === 0 ? '' : `; egress deny ${deny.join(', ')}${allow.length === 0 ? '' : ` except ${allow.join(', ')}`}`;
  const durability = config.redis.durability === 'replicated' ? ', writes wait for a replica' : '';
  return `${endpoints}${from}; redis ${describeRedis(config.redis)} prefix "${config.redis.prefix}"${durability}; http ${config.http.host}:${config.http.port}${egress}`;
}
