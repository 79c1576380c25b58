import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fuzzParameters, fuzzTimeout } from '../../../test/helpers/fuzz-runs.js';
import { ConfigError, loadConfig, schema, type HeraldConfig } from '../src/index.js';

/**
 * Properties of loadConfig over hostile files and environments: a valid config mutated a
 * few places deep (dotted keys, lists for maps, YAML tags, `__proto__`), written as YAML,
 * JSON or broken text, with random HERALD_* values. Every outcome is a config or a
 * ConfigError naming keys, and no message ever holds a secret. Cases: HERALD_FUZZ_RUNS.
 */

const dir = mkdtempSync(join(tmpdir(), 'herald-config-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A secret unlike any key or reason, so that finding it in a message means it leaked. */
const secret = fc.string({ unit: fc.constantFrom(...'abcdefghijkmnpqrstuvwxyz23456789'), minLength: 12, maxLength: 16 }).map((text) => `Zq${text}`);

/** A valid config with every section, each secret given `value`. */
function validConfig(value: string): Record<string, unknown> {
  return {
    redis: { url: `redis://:${value}@redis.internal:6379/0`, prefix: 'herald-fuzz' },
    http: { host: '127.0.0.1', port: 8420 },
    ingest: { token: value, tokens: { 'registry.eu': value, 'registry-us': `${value}2` }, maxBodyBytes: 65536 },
    board: { username: 'admin', password: value, readOnly: true },
    worker: { concurrency: 4, lockDurationMs: 30000, history: '1h', historyLimit: 1000 },
    egress: { deny: ['private'], allow: ['10.0.0.0/8'] },
    log: { level: 'info' },
    endpoints: [
      {
        name: 'audit',
        url: `https://user:${value}@audit.example/hooks?token=${value}`,
        headers: { Authorization: [`Bearer ${value}`] },
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        timeout: '2s',
        ignore: { mediatypes: ['application/octet-stream'], actions: ['pull'] },
        maxbatch: 8,
      },
    ],
  };
}

/** Values a file may hold where a setting goes: every YAML type, odd strings, lookalikes. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, '', ' ', '0', '-1', '1e400', 'true', 'yes', '3h', '-5s', '99999999999999999999h', `${'9'.repeat(400)}h`, 'redis://', 'http://x', 'private', '::', '10.0.0.0/33'),
  fc.constantFrom(2 ** 31, 5_000_000_000, Number.MAX_SAFE_INTEGER),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer(),
  fc.double(),
);

/** Keys an operator could write by mistake: real ones flattened, misspelt, or JavaScript's own. */
const oddKey = fc.oneof(
  fc.constantFrom('redis.url', 'http.port', 'egress.deny', 'ingest.tokens', 'ingest.tokens.a', 'redis.url.x', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '<<', '', 'endpoints', 'notifications', 'tokens', 'url'),
  fc.string({ maxLength: 8 }),
);

type Mutation = { where: number[]; kind: 'drop' | 'set' | 'add' | 'wrap' | 'list'; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  where: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
  kind: fc.constantFrom('drop', 'set', 'add', 'wrap', 'list'),
  key: oddKey,
  value: anyValue,
});

function isContainer(value: unknown): value is Record<string | number, unknown> {
  return typeof value === 'object' && value !== null;
}

function apply(root: Record<string, unknown>, change: Mutation): void {
  let parent: Record<string | number, unknown> = root;
  for (const [step, pick] of change.where.entries()) {
    const keys = Object.keys(parent);
    if (keys.length === 0) break;
    const key = keys[pick % keys.length]!;
    const next = parent[key];
    if (step < change.where.length - 1 && isContainer(next)) {
      parent = next;
      continue;
    }
    if (change.kind === 'drop') delete parent[key];
    else if (change.kind === 'set') parent[key] = change.value;
    else if (change.kind === 'wrap') parent[key] = { [change.key]: next };
    else if (change.kind === 'list') parent[key] = [next];
    else Object.defineProperty(isContainer(next) ? next : parent, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
    return;
  }
}

/** YAML that convict and the YAML library treat unevenly: tags, aliases, flow maps, merge keys. */
const yamlTrick = fc.constantFrom(
  'redis: !!set {a, b}\n',
  'redis: !!omap [url: x]\n',
  'http: {port: !!binary aGVsbG8=}\n',
  'ingest: !!pairs [token: x]\n',
  'base: &b {url: "redis://x"}\nredis:\n  <<: *b\n',
  'a: &a [*a]\n',
  'ingest:\n  # token: commented\n',
  '? [a, b]\n: c\n',
  'redis:\n  url: x\n  url: y\n',
  '---\na: 1\n---\nb: 2\n',
  '\t- tab\n',
  '%YAML 1.1\n---\nredis: {url: "redis://x"}\n',
  'notifications: [1]\n',
  'notifications:\n  endpoints: {a: 1}\n',
  'endpoints: !!set {a}\n',
);

/** A file's text: the valid config mutated and written as YAML or JSON, or broken as text. */
const fileText = fc
  .tuple(secret, fc.array(mutation, { maxLength: 4 }), fc.nat({ max: 5 }), yamlTrick, fc.nat(), fc.string({ unit: 'binary', maxLength: 30 }))
  .map(([value, changes, form, trick, cut, noise]) => {
    const config = validConfig(value);
    for (const change of changes) apply(config, change);
    const text = form === 0 ? JSON.stringify(config) : stringify(config, { aliasDuplicateObjects: false });
    if (form === 2) return { secret: value, text: trick };
    if (form === 3) return { secret: value, text: `${text}${trick}` };
    if (form === 4) return { secret: value, text: text.slice(0, cut % (text.length + 1)) + noise };
    return { secret: value, text };
  });

const ENV_NAMES = [...settingEnvNames(schema), 'REDIS_URL', 'HERALD_ENDPOINTS'];

function settingEnvNames(node: object): string[] {
  return Object.values(node).flatMap((child: Record<string, unknown>) => (typeof child['env'] === 'string' ? [child['env']] : typeof child === 'object' && !('default' in child) ? settingEnvNames(child) : []));
}

/** An environment of HERALD_* values, some of them secrets where secrets go. */
const environment = fc.tuple(
  fc.dictionary(fc.constantFrom(...ENV_NAMES), fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)), anyValue.map(String)), { maxKeys: 4 }),
  fc.constantFrom(
    (value: string) => ({ HERALD_INGEST_TOKEN: value }),
    (value: string) => ({ HERALD_BOARD_PASSWORD: value }),
    (value: string) => ({ HERALD_REDIS_URL: `redis://:${value}@h:99999` }),
    (value: string) => ({ REDIS_URL: `http://:${value}@h` }),
    (value: string) => ({ HERALD_INGEST_TOKENS: JSON.stringify({ 'bad name!': value }) }),
    (value: string) => ({ HERALD_INGEST_TOKENS: JSON.stringify({ a: { [value]: 1 } }) }),
    (value: string) => ({ HERALD_ENDPOINTS: JSON.stringify([{ name: 'x', url: `ftp://u:${value}@h`, headers: { 'Bad Name': [value] } }]) }),
    (value: string) => ({ HERALD_ENDPOINTS: JSON.stringify([{ name: 'x', url: 'http://h', secret: value, headers: { A: `${value}\n` } }]) }),
  ),
);

/** Node runs a timer of more than this many ms at once (after a TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Checks a loaded config: every duration finite, every one used as a timer within Node's limit. */
function checkLoaded(config: HeraldConfig): void {
  expect(config.worker.lockDurationMs).toBeLessThanOrEqual(MAX_TIMER_MS);
  expect(Number.isFinite(config.worker.historyMs)).toBe(true);
  for (const endpoint of config.endpoints) {
    expect(endpoint.timeoutMs).toBeLessThanOrEqual(MAX_TIMER_MS);
    for (const ms of [endpoint.backoffMs, endpoint.maxBackoffMs, endpoint.maxAgeMs]) expect(Number.isFinite(ms)).toBe(true);
  }
}

/** Runs loadConfig; returns the ConfigError, or undefined when the config loaded (and checked). Any other throw fails. */
function outcome(run: () => HeraldConfig): ConfigError | undefined {
  try {
    checkLoaded(run());
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
}

/** Checks a refusal: every problem names a key and says why, and no secret is in any of them. */
function checkRefusal(error: ConfigError, secrets: readonly string[]): void {
  expect(error.name).toBe('ConfigError');
  expect(error.problems.length).toBeGreaterThan(0);
  for (const problem of error.problems) {
    expect(problem.key, problem.reason).not.toBe('');
    expect(problem.key, problem.reason).not.toBe('$');
    expect(problem.reason).not.toBe('');
  }
  for (const value of secrets) expect(error.message).not.toContain(value);
}

let files = 0;

describe('loadConfig (properties)', () => {
  it(
    'answers any file with a config or a ConfigError naming keys, never a secret',
    () => {
      fc.assert(
        fc.property(fileText, ({ secret: value, text }) => {
          const file = join(dir, `fuzz-${(files += 1)}.yml`);
          writeFileSync(file, text);
          const error = outcome(() => loadConfig({ file, env: {} }));
          if (error !== undefined) checkRefusal(error, [value]);
        }),
        fuzzParameters(0.15),
      );
    },
    fuzzTimeout(0.15, 5),
  );

  it(
    'answers any environment with a config or a ConfigError naming keys, never a secret',
    () => {
      fc.assert(
        fc.property(secret, environment, (value, [random, withSecret]) => {
          const env = { ...random, ...withSecret(value) };
          const error = outcome(() => loadConfig({ env }));
          if (error !== undefined) checkRefusal(error, [value]);
        }),
        fuzzParameters(0.08),
      );
    },
    fuzzTimeout(0.08, 3),
  );

  it(
    'loads a valid config written flat, nested or with dotted token names, the same from YAML and JSON',
    () => {
      fc.assert(
        fc.property(secret, fc.constantFrom('yml', 'json'), (value, extension) => {
          const config = validConfig(value);
          const file = join(dir, `valid-${(files += 1)}.${extension}`);
          writeFileSync(file, extension === 'json' ? JSON.stringify(config) : stringify(config));
          const loaded = loadConfig({ file, env: {} });
          expect(loaded.ingest.tokens).toStrictEqual({ 'registry.eu': value, 'registry-us': `${value}2` });
          expect(loaded.redis.prefix).toBe('herald-fuzz');
        }),
        fuzzParameters(0.02),
      );
    },
    fuzzTimeout(0.02, 5),
  );
});
