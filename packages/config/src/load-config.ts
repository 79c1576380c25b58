import { readFileSync } from 'node:fs';
import convict from 'convict';
import { parseDocument } from 'yaml';
import { readEndpoints, type EndpointConfig } from './endpoint.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import type { EgressConfig } from './egress.js';
import { parseDuration } from './duration.js';
import { checkDocumentShape, isPlainMap, kindOf } from './document-shape.js';
import { isLoopbackHost } from './loopback.js';
import { readSecretFile } from './secret-file.js';
import { readRedisSettings, type RedisSettings } from './redis-settings.js';
import { isRecord, type Report } from './field-readers.js';
import { schema, type LogLevel } from './schema.js';
import { parseTokenMap, tokenMapProblem } from './token-map.js';

/** Where to read the configuration from. */
export interface LoadConfigOptions {
  /** YAML or JSON config file. @defaultValue env.HERALD_CONFIG, else none (defaults and env only) */
  file?: string;
  /** Environment to read HERALD_*, HERALD_CONFIG and REDIS_URL from. @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The configuration of a Herald process, checked and with defaults applied. */
export interface HeraldConfig {
  readonly redis: RedisSettings;
  readonly http: { readonly host: string; readonly port: number };
  readonly ingest: {
    readonly token: string;
    /** More accepted tokens, by name (`ingest.tokens`). Secret. */
    readonly tokens: Readonly<Record<string, string>>;
    readonly allowAnonymous: boolean;
    readonly maxBodyBytes: number;
  };
  readonly board: { readonly username: string; readonly password: string; readonly readOnly: boolean };
  readonly worker: {
    readonly concurrency: number;
    readonly lockDurationMs: number;
    /** How long delivered deliveries are kept, in ms (`worker.history`); 0 keeps the last 1,000 per endpoint. */
    readonly historyMs: number;
    /** Most delivered deliveries kept per endpoint within historyMs (`worker.historyLimit`). */
    readonly historyLimit: number;
  };
  /** Where deliveries may connect (`egress.*`). */
  readonly egress: EgressConfig;
  readonly log: { readonly level: LogLevel };
  readonly endpoints: readonly EndpointConfig[];
  /** Where it came from, for start-up lines and `config check`. */
  readonly source: {
    readonly file?: string;
    /** The file was a registry config.yml; only its `notifications.endpoints` was read. */
    readonly registryConfig: boolean;
  };
}

/** Reads a YAML or JSON file; errors name the line and column, never the text (it may hold a secret). */
function readDocument(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? 'error'})`;
    throw new ConfigError([{ key: file, reason }], { cause: error });
  }
  // logLevel 'error': the YAML library would print warnings (with the key's text) to stderr.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const where = error.linePos?.[0];
        const at = where === undefined ? '' : ` at line ${where.line}, column ${where.col}`;
        return { key: file, reason: `not valid YAML or JSON${at} (${error.code})` };
      }),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // YAML refuses aliases that expand too far (a "billion laughs" file).
    throw new ConfigError([{ key: file, reason: 'uses YAML aliases that expand too far' }], { cause: error });
  }
  if (value === null || value === undefined) return {};
  if (!isPlainMap(value)) throw new ConfigError([{ key: file, reason: 'must be a map of settings, not a list or a value' }]);
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Turns convict's validation message, one problem a line, into problems without values. */
function convictProblems(message: string): ConfigProblem[] {
  return message.split('\n').map((line) => {
    const undeclared = /^configuration param '(.+)' not declared in the schema$/.exec(line);
    if (undeclared) return { key: undeclared[1]!, reason: 'unknown key' };
    const missing = /^configuration param '(.+)' missing from config/.exec(line);
    if (missing) return { key: missing[1]!.replace(/\.[^.]+$/, ''), reason: 'must be a map of settings' };
    const separator = line.indexOf(': ');
    const key = separator > 0 ? line.slice(0, separator) : '$';
    const reason = (separator > 0 ? line.slice(separator + 2) : line).replace(/: value was .*$/, '').trim();
    return { key, reason };
  });
}

/**
 * The longest timer Node runs as asked, in ms (about 24.8 days); a longer one fires at once
 * (TimeoutOverflowWarning). The job lock is renewed on a timer, and every endpoint's
 * `timeout`, a timer too, is at most half of it.
 */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A lock set for every endpoint (`worker.lockDurationMs`) must outlast each HTTP attempt
 * with a margin (twice the timeout), as it did before locks followed the timeouts. Unset,
 * each endpoint's lock is its timeout (at least 5 s), renewed every half of it: a timeout
 * must then be a timer Node can run.
 */
function lockProblems(endpoints: readonly EndpointConfig[], lockDurationMs: number, at: string): ConfigProblem[] {
  // 0: each endpoint's lock follows its timeout (delivery-lock.ts in the worker).
  if (lockDurationMs === 0) {
    return endpoints.flatMap((endpoint, index) =>
      endpoint.timeoutMs > MAX_TIMER_MS ? [{ key: `${at}[${index}].timeout`, reason: `must be at most ${MAX_TIMER_MS}ms (about 24 days): Node fires a longer timer at once` }] : [],
    );
  }
  return endpoints.flatMap((endpoint, index) =>
    endpoint.timeoutMs * 2 > lockDurationMs
      ? [{ key: `${at}[${index}].timeout`, reason: `must be at most half of worker.lockDurationMs (timeout ${endpoint.timeoutMs}ms, lock ${lockDurationMs}ms)` }]
      : [],
  );
}

/**
 * The secrets that may come from files (`redis.passwordFile`, `ingest.tokenFile`,
 * `board.passwordFile`) resolved into the values the rest of Herald reads. A key given
 * both ways is a problem, not a silent choice.
 */
function readSecretFiles(
  value: { redis: { url: string; passwordFile: string }; ingest: { token: string; tokenFile: string }; board: { password: string; passwordFile: string } },
  problems: ConfigProblem[],
): { redisUrl: string; redisPassword: string | undefined; ingestToken: string; boardPassword: string } {
  const report: Report = (key, reason) => problems.push({ key, reason });
  const fromFile = (direct: string, file: string, key: string, directKey: string): string => {
    if (file === '') return direct;
    if (direct !== '') report(key, `set either ${directKey} or ${key}, not both`);
    return readSecretFile(file, key, report) ?? direct;
  };
  let redisUrl = value.redis.url;
  const redisPassword = value.redis.passwordFile === '' ? undefined : readSecretFile(value.redis.passwordFile, 'redis.passwordFile', report);
  // A redis.url that is not a URL was reported by convict already.
  if (redisPassword !== undefined && URL.canParse(redisUrl)) {
    const url = new URL(redisUrl);
    url.password = encodeURIComponent(redisPassword);
    redisUrl = url.toString();
  }
  return {
    redisUrl,
    redisPassword,
    ingestToken: fromFile(value.ingest.token, value.ingest.tokenFile, 'ingest.tokenFile', 'ingest.token'),
    boardPassword: fromFile(value.board.password, value.board.passwordFile, 'board.passwordFile', 'board.password'),
  };
}

/**
 * `ingest.tokens` from the file's settings, or HERALD_INGEST_TOKENS (a JSON object), which
 * wins; taken out of both, since convict cannot read names with dots (token-map.ts).
 */
function readTokens(settings: Record<string, unknown>, env: Record<string, string | undefined>, report: Report): Record<string, string> {
  const ingest = settings['ingest'] as Record<string, unknown> | undefined;
  let value = ingest?.['tokens'];
  if (ingest !== undefined) delete ingest['tokens'];
  const fromEnv = env['HERALD_INGEST_TOKENS'];
  delete env['HERALD_INGEST_TOKENS'];
  if (fromEnv !== undefined) value = parseTokenMap(fromEnv);
  if (value === undefined) return {};
  const problem = tokenMapProblem(value);
  if (problem !== undefined) {
    report('ingest.tokens', problem);
    return {};
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

/** Drops repeated problems, and "unknown key" under a key already reported as not a map. */
function distinct(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const notMaps = new Set(problems.filter((p) => p.reason === 'must be a map of settings').map((p) => p.key));
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const line = `${problem.key}: ${problem.reason}`;
    // Under a key that is not a map, its sub-sections are not maps either: one problem says it.
    const underNotMap = [...notMaps].some((key) => problem.key.startsWith(`${key}.`));
    if (seen.has(line) || (problem.reason === 'unknown key' && notMaps.has(problem.key)) || underNotMap) return false;
    seen.add(line);
    return true;
  });
}

/**
 * Loads the configuration of a Herald process: defaults < file < environment.
 * A file with a top-level `notifications:` is a registry config.yml: its
 * `notifications.endpoints` are read and nothing else. Throws ConfigError listing
 * every problem with its key path.
 */
export function loadConfig(options: LoadConfigOptions = {}): HeraldConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? (env['HERALD_CONFIG'] || undefined);
  const raw = file === undefined ? {} : readDocument(file);
  const registryConfig = Object.hasOwn(raw, 'notifications');
  // Endpoints are read here, not by convict: it would merge a map given for the list into [].
  const { endpoints: fileEndpoints, ...document } = registryConfig ? {} : raw;
  let rawEndpoints: unknown = fileEndpoints;
  let endpointsKey = 'endpoints';
  const problems: ConfigProblem[] = [];
  const report: Report = (key, reason) => problems.push({ key, reason });
  if (registryConfig) {
    const notifications = raw['notifications'];
    if (notifications !== null && !isPlainMap(notifications)) report('notifications', `must be a map (endpoints, events), not ${kindOf(notifications)}`);
    rawEndpoints = isPlainMap(notifications) ? notifications['endpoints'] : undefined;
    endpointsKey = 'notifications.endpoints';
  }
  const settings = checkDocumentShape(document, schema, report);
  const effectiveEnv: Record<string, string | undefined> = { ...env, HERALD_REDIS_URL: env['HERALD_REDIS_URL'] ?? env['REDIS_URL'] };
  if (env['HERALD_ENDPOINTS'] !== undefined) {
    endpointsKey = 'HERALD_ENDPOINTS';
    rawEndpoints = parseJson(env['HERALD_ENDPOINTS']);
    if (rawEndpoints === undefined) problems.push({ key: endpointsKey, reason: 'must be a JSON list of endpoints' });
    delete effectiveEnv['HERALD_ENDPOINTS'];
  }
  const tokens = readTokens(settings, effectiveEnv, report);
  const config = convict(schema, { env: effectiveEnv as NodeJS.ProcessEnv, args: [] });
  try {
    config.load(settings);
    config.validate({ allowed: 'strict' });
  } catch (error) {
    problems.push(...convictProblems((error as Error).message));
  }
  const { endpoints, problems: endpointProblems } = readEndpoints(rawEndpoints, endpointsKey);
  problems.push(...endpointProblems);
  const lockDurationMs = config.get('worker.lockDurationMs') as number;
  if (lockDurationMs > MAX_TIMER_MS) problems.push({ key: 'worker.lockDurationMs', reason: `must be at most ${MAX_TIMER_MS} (about 24 days): Node fires a longer timer at once` });
  problems.push(...lockProblems(endpoints, lockDurationMs, endpointsKey));
  const value = config.getProperties();
  const secrets = readSecretFiles(value, problems);
  const redisUrlGiven = env['HERALD_REDIS_URL'] !== undefined || (isRecord(document['redis']) && document['redis']['url'] !== undefined);
  // Read defensively: a `redis` that is not a map was reported by convict already.
  const redisValue: Partial<typeof value.redis> = isRecord(value.redis) ? value.redis : {};
  const redis = readRedisSettings(
    {
      url: secrets.redisUrl,
      urlGiven: redisUrlGiven,
      prefix: redisValue.prefix ?? 'herald',
      cluster: { nodes: redisValue.cluster?.nodes ?? [] },
      sentinel: { name: redisValue.sentinel?.name ?? '', nodes: redisValue.sentinel?.nodes ?? [] },
      durability: redisValue.durability ?? 'acknowledged',
    },
    secrets.redisPassword,
    (key, reason) => problems.push({ key, reason }),
  );
  if (problems.length > 0) throw new ConfigError(distinct(problems));

  return {
    redis,
    http: value.http,
    ingest: { token: secrets.ingestToken, tokens, allowAnonymous: value.ingest.allowAnonymous, maxBodyBytes: value.ingest.maxBodyBytes },
    // Unset, a board others can reach changes nothing (board.readOnly).
    board: {
      username: value.board.username,
      password: secrets.boardPassword,
      readOnly: value.board.readOnly ?? !isLoopbackHost(value.http.host),
    },
    worker: {
      concurrency: value.worker.concurrency,
      lockDurationMs: value.worker.lockDurationMs,
      historyMs: parseDuration(value.worker.history),
      historyLimit: value.worker.historyLimit,
    },
    egress: { deny: value.egress.deny, allow: value.egress.allow },
    log: { level: value.log.level as LogLevel },
    endpoints,
    source: file === undefined ? { registryConfig } : { file, registryConfig },
  };
}
