import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, describeConfig, loadConfig, summarizeConfig, type HeraldConfig } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function write(text: string, extension = 'yml'): string {
  const file = join(dir, `config-${(files += 1)}.${extension}`);
  writeFileSync(file, text);
  return file;
}

const registryConfig = new URL('fixtures/registry-config.yml', import.meta.url).pathname;

function load(text: string, env: Record<string, string> = {}): HeraldConfig {
  return loadConfig({ file: write(text), env });
}

function problemsOf(run: () => unknown): { key: string; reason: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

const HERALD_DEFAULTS = {
  maxBackoffMs: 300_000,
  maxAgeMs: 259_200_000,
  secrets: [],
  ordered: false,
  mediaType: 'application/vnd.docker.distribution.events.v1+json',
  concurrency: undefined,
  maxBatch: 1,
  maxBatchBytes: 1_048_576,
  tls: { insecureSkipVerify: false },
  egressAllow: [],
};

const endpoint = (extra: string) => `endpoints:\n  - name: hook\n    url: http://127.0.0.1:9000/\n${extra}`;

describe('loadConfig', () => {
  it('applies defaults without a file', () => {
    const config = loadConfig({ env: {} });
    expect(config).toStrictEqual({
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'herald', mode: 'standalone', cluster: { nodes: [] }, sentinel: { name: '', nodes: [] }, password: undefined, durability: 'acknowledged' },
      http: { host: '127.0.0.1', port: 8420 },
      ingest: { token: '', tokens: {}, allowAnonymous: false, maxBodyBytes: 1_048_576 },
      board: { username: '', password: '', readOnly: false },
      worker: { concurrency: 10, lockDurationMs: 0, historyMs: 10_800_000, historyLimit: 100_000 },
      egress: { deny: [], allow: [] },
      log: { level: 'info' },
      endpoints: [],
      source: { registryConfig: false },
    });
  });

  it('reads a registry config.yml with three endpoints, ignoring the registry keys', () => {
    const config = loadConfig({ file: registryConfig, env: {} });
    expect(config.source).toStrictEqual({ file: registryConfig, registryConfig: true });
    expect(config.http).toStrictEqual({ host: '127.0.0.1', port: 8420 });
    expect(config.endpoints).toStrictEqual([
      {
        name: 'herald-ingest',
        disabled: false,
        url: 'http://127.0.0.1:8420/events',
        headers: { Authorization: ['Bearer ingest-token-do-not-print'] },
        timeoutMs: 500,
        threshold: 5,
        backoffMs: 1000,
        ignore: { mediaTypes: [], actions: [] },
        ...HERALD_DEFAULTS,
      },
      {
        name: 'audit',
        disabled: false,
        url: 'https://audit.example/hooks/registry',
        headers: {},
        timeoutMs: 2000,
        threshold: 10,
        backoffMs: 90_000,
        ignore: {
          mediaTypes: ['application/vnd.oci.image.layer.v1.tar+gzip', 'application/octet-stream'],
          actions: ['pull'],
        },
        ...HERALD_DEFAULTS,
      },
      {
        name: 'ci-trigger',
        disabled: true,
        url: 'https://ci.example/registry',
        headers: {},
        timeoutMs: 5000,
        threshold: 10,
        backoffMs: 1000,
        ignore: { mediaTypes: [], actions: ['pull', 'delete'] },
        ...HERALD_DEFAULTS,
      },
    ]);
  });

  it("reads Herald's own endpoint keys", () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const [hook] = load(
      endpoint(
        `    secret: [${secret}, ${secret}]\n    ordered: true\n    mediatype: v2\n    maxbackoff: 1m\n    maxage: 0\n    concurrency: 3\n` +
          `    maxbatch: 32\n    maxbatchbytes: 256KiB\n` +
          `    tls:\n      ca: ${registryConfig}\n      insecureSkipVerify: true\n`,
      ),
    ).endpoints;
    expect(hook).toMatchObject({
      secrets: [secret, secret],
      ordered: true,
      mediaType: 'application/vnd.docker.distribution.events.v2+json',
      maxBackoffMs: 60_000,
      maxAgeMs: 0,
      concurrency: 3,
      maxBatch: 32,
      maxBatchBytes: 262_144,
      tls: { ca: registryConfig, insecureSkipVerify: true },
    });
  });

  it('lets an unset maxbackoff follow a backoff longer than its 5m default', () => {
    expect(load(endpoint('    backoff: 10m\n')).endpoints[0]).toMatchObject({ backoffMs: 600_000, maxBackoffMs: 600_000 });
    expect(load(endpoint('    backoff: 10s\n')).endpoints[0]).toMatchObject({ backoffMs: 10_000, maxBackoffMs: 300_000 });
  });

  it('accepts one secret as a string and a Redis Cluster hash tag as prefix', () => {
    const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    const config = load(`redis:\n  prefix: "{herald}"\n${endpoint(`    secret: ${secret}\n`)}`);
    expect(config.endpoints[0]?.secrets).toStrictEqual([secret]);
    expect(config.redis.prefix).toBe('{herald}');
  });

  it('reads YAML and JSON alike', () => {
    const document = {
      redis: { prefix: 'h1' },
      endpoints: [{ name: 'a', url: 'https://a.example/', headers: { 'X-A': ['1', '2'] }, timeout: '1s' }],
    };
    const fromJson = loadConfig({ file: write(JSON.stringify(document), 'json'), env: {} });
    const fromYaml = load('redis: { prefix: h1 }\nendpoints:\n  - { name: a, url: "https://a.example/", headers: { X-A: ["1", "2"] }, timeout: 1s }\n');
    expect({ ...fromJson, source: null }).toStrictEqual({ ...fromYaml, source: null });
    expect(fromJson.endpoints[0]?.headers).toStrictEqual({ 'X-A': ['1', '2'] });
  });

  it('accepts a single header value as a one-item list', () => {
    expect(load(endpoint('    headers:\n      X-Token: abc\n')).endpoints[0]?.headers).toStrictEqual({ 'X-Token': ['abc'] });
  });

  it('treats zero durations and threshold as the defaults, as distribution does', () => {
    const [hook] = load(endpoint('    timeout: 0\n    backoff: "0s"\n    threshold: 0\n')).endpoints;
    expect(hook).toMatchObject({ timeoutMs: 5000, backoffMs: 1000, threshold: 10 });
  });

  it('lets HERALD_* and REDIS_URL override the file', () => {
    const file = write('redis:\n  url: redis://file:6379\n  prefix: from-file\nhttp:\n  port: 9000\n');
    const config = loadConfig({
      file,
      env: {
        REDIS_URL: 'redis://from-redis-url:6379',
        HERALD_REDIS_PREFIX: 'from-env',
        HERALD_HTTP_PORT: '9100',
        HERALD_BOARD_READ_ONLY: 'true',
        HERALD_WORKER_CONCURRENCY: '3',
        HERALD_ENDPOINTS: JSON.stringify([{ name: 'env', url: 'http://127.0.0.1:1/' }]),
      },
    });
    expect(config.redis).toStrictEqual({ url: 'redis://from-redis-url:6379', prefix: 'from-env', mode: 'standalone', cluster: { nodes: [] }, sentinel: { name: '', nodes: [] }, password: undefined, durability: 'acknowledged' });
    expect(config.http.port).toBe(9100);
    expect(config.board.readOnly).toBe(true);
    expect(config.worker.concurrency).toBe(3);
    expect(config.endpoints.map((e) => e.name)).toStrictEqual(['env']);
  });

  it('prefers HERALD_REDIS_URL to REDIS_URL', () => {
    const config = loadConfig({ env: { REDIS_URL: 'redis://a:1', HERALD_REDIS_URL: 'redis://b:2' } });
    expect(config.redis.url).toBe('redis://b:2');
  });

  it('reads the file named by HERALD_CONFIG', () => {
    const file = write('worker:\n  concurrency: 4\n');
    expect(loadConfig({ env: { HERALD_CONFIG: file } }).worker.concurrency).toBe(4);
    expect(loadConfig({ env: { HERALD_CONFIG: file } }).source.file).toBe(file);
  });

  it('reads an empty file as defaults', () => {
    expect(load('').endpoints).toStrictEqual([]);
  });
});

describe('loadConfig rejects bad configs, naming the key', () => {
  it.each([
    ['an unknown top-level key', 'reddis:\n  url: redis://x\n', 'reddis', 'unknown key'],
    ['an unknown nested key', 'redis:\n  prefx: x\n', 'redis.prefx', 'unknown key'],
    ['a section that is not a map', 'redis: 5\n', 'redis', 'must be a map of settings'],
    ['a non-redis URL', 'redis:\n  url: http://127.0.0.1:6379\n', 'redis.url', 'redis://'],
    ['a prefix with a colon', 'redis:\n  prefix: "a:b"\n', 'redis.prefix', 'letters, digits'],
    ['a port out of range', 'http:\n  port: 70000\n', 'http.port', 'ports must be within range'],
    ['a port that is text', 'http:\n  port: eighty\n', 'http.port', 'ports must be within range'],
    ['a negative body limit', 'ingest:\n  maxBodyBytes: -1\n', 'ingest.maxBodyBytes', 'positive integer'],
    ['zero concurrency', 'worker:\n  concurrency: 0\n', 'worker.concurrency', 'positive integer'],
    ['a boolean written as text', 'board:\n  readOnly: "yes"\n', 'board.readOnly', 'true or false'],
    ['an unknown log level', 'log:\n  level: loud\n', 'log.level', 'must be one of'],
    ['endpoints that are not a list', 'endpoints:\n  name: a\n', 'endpoints', 'must be a list of endpoints'],
    ['an endpoint that is not a map', 'endpoints:\n  - http://x\n', 'endpoints[0]', 'must be a map'],
    ['an endpoint without a name', 'endpoints:\n  - url: http://x/\n', 'endpoints[0].name', 'is required'],
    ['an empty endpoint name', 'endpoints:\n  - { name: "", url: "http://x/" }\n', 'endpoints[0].name', 'printable'],
    ['an endpoint without a URL', 'endpoints:\n  - name: a\n', 'endpoints[0].url', 'is required'],
    ['a URL that is not http(s)', 'endpoints:\n  - { name: a, url: "ftp://x/" }\n', 'endpoints[0].url', 'must be http(s)'],
    ['a relative URL', 'endpoints:\n  - { name: a, url: "/events" }\n', 'endpoints[0].url', 'absolute http(s) URL'],
    ['a negative timeout', endpoint('    timeout: -1s\n'), 'endpoints[0].timeout', 'must not be negative'],
    ['an unparsable backoff', endpoint('    backoff: 5 seconds\n'), 'endpoints[0].backoff', 'must be a duration'],
    ['a duration without a unit', endpoint('    timeout: 500\n'), 'endpoints[0].timeout', 'with a unit'],
    ['a fractional threshold', endpoint('    threshold: 2.5\n'), 'endpoints[0].threshold', 'non-negative integer'],
    ['headers as a list', endpoint('    headers: [a]\n'), 'endpoints[0].headers', 'must be a map'],
    ['a header value that is a number', endpoint('    headers:\n      X-Count: [1]\n'), 'endpoints[0].headers.X-Count', 'list of strings'],
    ['a header name with a space', endpoint('    headers:\n      "X Bad": [a]\n'), 'endpoints[0].headers.X Bad', 'not a valid header name'],
    ['ignored actions that are not a list', endpoint('    ignore:\n      actions: pull\n'), 'endpoints[0].ignore.actions', 'list of strings'],
    ['an unknown ignore key', endpoint('    ignore:\n      media: [a]\n'), 'endpoints[0].ignore.media', 'unknown key'],
    ['an unknown endpoint key', endpoint('    retries: 3\n'), 'endpoints[0].retries', 'unknown key'],
    ['disabled written as text', endpoint('    disabled: "no"\n'), 'endpoints[0].disabled', 'true or false'],
    ['a secret without whsec_', endpoint('    secret: hunter2-hunter2-hunter2-hunter2\n'), 'endpoints[0].secret', 'whsec_'],
    ['a short secret in a list', endpoint('    secret: [whsec_c2hvcnQ=]\n'), 'endpoints[0].secret[0]', '24 to 64 bytes'],
    ['an unknown media type', endpoint('    mediatype: application/json\n'), 'endpoints[0].mediatype', 'must be v1, v2'],
    ['ordered written as text', endpoint('    ordered: "yes"\n'), 'endpoints[0].ordered', 'true or false'],
    ['zero concurrency', endpoint('    concurrency: 0\n'), 'endpoints[0].concurrency', 'at least 1'],
    ['maxbatch of zero', endpoint('    maxbatch: 0\n'), 'endpoints[0].maxbatch', 'integer from 1 to 1000'],
    ['maxbatch past its limit', endpoint('    maxbatch: 5000\n'), 'endpoints[0].maxbatch', 'integer from 1 to 1000'],
    ['maxbatchbytes without a number', endpoint('    maxbatchbytes: lots\n'), 'endpoints[0].maxbatchbytes', 'at least 1KiB'],
    ['maxbatchbytes below 1 KiB', endpoint('    maxbatchbytes: 100\n'), 'endpoints[0].maxbatchbytes', 'at least 1KiB'],
    ['maxbackoff below backoff', endpoint('    backoff: 10s\n    maxbackoff: 1s\n'), 'endpoints[0].maxbackoff', 'not be shorter than backoff'],
    ['a negative maxage', endpoint('    maxage: -1h\n'), 'endpoints[0].maxage', 'must not be negative'],
    ['a missing CA file', endpoint('    tls:\n      ca: /nonexistent/ca.pem\n'), 'endpoints[0].tls.ca', 'does not exist'],
    ['a client certificate without its key', endpoint(`    tls:\n      cert: ${registryConfig}\n`), 'endpoints[0].tls.key', 'mutual TLS needs both'],
    ['an unknown tls key', endpoint('    tls:\n      verify: false\n'), 'endpoints[0].tls.verify', 'unknown key'],
    ['tls that is not a map', endpoint('    tls: true\n'), 'endpoints[0].tls', 'must be a map'],
    ['an empty ignored media type', endpoint('    ignoredmediatypes: [""]\n'), 'endpoints[0].ignoredmediatypes[0]', 'non-empty string'],
    // Found by load-config.property.test.ts: each was ignored without a word, threw a TypeError, or named no key ("$").
    ['a flat dotted key', 'redis.url: redis://x:6379\n', 'redis.url', 'write it nested (redis: {url: ...})'],
    ['a flat dotted egress key', 'egress.deny: [private]\n', 'egress.deny', 'unknown key'],
    ['a dotted key inside a section', 'http:\n  port.x: 1\n', 'http.port.x', 'unknown key'],
    ['a list where a section goes', 'redis: [1, 2]\n', 'redis', 'must be a map of settings, not a list'],
    ['a YAML set where a section goes', 'redis: !!set {a, b}\n', 'redis', 'not a Set'],
    ['a YAML ordered map where a section goes', 'redis: !!omap [url: x]\n', 'redis', 'not a Map'],
    ['bytes where a value goes', 'http: {port: !!binary aGVsbG8=}\n', 'http.port', 'not a Buffer'],
    ['a map where a value goes', 'http: {port: {}}\n', 'http.port', 'not a map'],
    ['a map inside a token map', 'ingest: {tokens: {a: {b: c}}}\n', 'ingest.tokens', 'token "a" must be a non-empty string'],
    ['a __proto__ key', '__proto__: {x: 1}\n', '__proto__', 'unknown key'],
    ['a constructor key', 'constructor: {prototype: 1}\n', 'constructor', 'unknown key'],
    ['an empty key', 'redis: {"": 1}\n', 'redis[""]', 'unknown key'],
    ['notifications that is a list', 'notifications: [1]\n', 'notifications', 'must be a map'],
  ])('%s', (_name, text, key, reason) => {
    const problems = problemsOf(() => load(text));
    expect(problems.map((problem) => problem.key)).toStrictEqual([key]);
    expect(problems[0]?.reason).toContain(reason);
  });

  it('never names a secret written as a map under a secret key', () => {
    const problems = problemsOf(() => load('redis:\n  url:\n    "redis://:map-key-secret-123@h": 1\n'));
    expect(problems).toStrictEqual([{ key: 'redis.url', reason: 'must be a single value or a list, not a map' }]);
  });

  it('refuses a lock longer than a Node timer can wait, and a duration too long to be a number', () => {
    // Found by load-config.property.test.ts: both loaded, and Node fires a longer timer at once.
    expect(problemsOf(() => loadConfig({ env: { HERALD_WORKER_LOCK_DURATION_MS: '2147483648' } }))).toStrictEqual([
      { key: 'worker.lockDurationMs', reason: 'must be at most 2147483647 (about 24 days): Node fires a longer timer at once' },
    ]);
    expect(loadConfig({ env: { HERALD_WORKER_LOCK_DURATION_MS: '2147483647' } }).worker.lockDurationMs).toBe(2_147_483_647);
    expect(problemsOf(() => load(`worker:\n  history: "${'9'.repeat(400)}h"\n`))).toStrictEqual([{ key: 'worker.history', reason: 'is too long' }]);    // A backoff of 10^10 hours loaded, and the first retry's log line threw RangeError.
    expect(problemsOf(() => load('endpoints:\n  - name: a\n    url: http://127.0.0.1:9/x\n    backoff: 10000000000h\n'))).toStrictEqual([
      { key: 'endpoints[0].backoff', reason: 'is too long: at most 2562047h (about 292 years), as in Go' },
    ]);
  });

  it('prints no YAML warning, which would show a key, for a key that is a list', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      expect(problemsOf(() => load('? [a, b]\n: c\n'))).toStrictEqual([{ key: '[ a, b ]', reason: 'unknown key' }]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses YAML aliases that expand too far with a ConfigError', () => {
    let text = 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (const [name, previous] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']]) text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]\n`;
    expect(problemsOf(() => load(text))[0]?.reason).toBe('uses YAML aliases that expand too far');
  });

  it('reads a section left empty (every line commented out) as defaults', () => {
    expect(load('ingest:\n  # token: later\nredis:\n').ingest.token).toBe('');
  });

  it('accepts ingest.tokens names with dots, from the file and from the environment', () => {
    expect(load('ingest:\n  tokens: {registry.eu: a1, registry-us: b2}\n').ingest.tokens).toStrictEqual({ 'registry.eu': 'a1', 'registry-us': 'b2' });
    expect(loadConfig({ env: { HERALD_INGEST_TOKENS: '{"registry.eu":"a1"}' } }).ingest.tokens).toStrictEqual({ 'registry.eu': 'a1' });
    expect(problemsOf(() => loadConfig({ env: { HERALD_INGEST_TOKENS: '{"a b":"x"}' } }))).toStrictEqual([
      { key: 'ingest.tokens', reason: 'names must be 1 to 64 letters, digits, ".", "_" or "-"' },
    ]);
  });

  it('rejects a duplicate endpoint name, pointing at the first', () => {
    const problems = problemsOf(() => load('endpoints:\n  - { name: a, url: "http://x/" }\n  - { name: b, url: "http://x/" }\n  - { name: a, url: "http://y/" }\n'));
    expect(problems).toStrictEqual([{ key: 'endpoints[2].name', reason: 'duplicates endpoints[0].name "a"' }]);
  });

  it('names registry config keys as the registry config writes them', () => {
    const text = 'version: 0.1\nnotifications:\n  endpoints:\n    - { name: a, url: "http://x/" }\n    - { name: b, url: "gopher://x/", timeout: 1x }\n';
    expect(problemsOf(() => load(text)).map((problem) => problem.key)).toStrictEqual([
      'notifications.endpoints[1].url',
      'notifications.endpoints[1].timeout',
    ]);
  });

  it('reports every problem at once, one per key', () => {
    const text = 'redis:\n  url: nope\nhttp:\n  port: -1\nendpoints:\n  - { name: a, url: "ftp://x/", timeout: -2s, extra: 1 }\n';
    expect(problemsOf(() => load(text)).map((problem) => problem.key).sort()).toStrictEqual(
      ['endpoints[0].extra', 'endpoints[0].timeout', 'endpoints[0].url', 'http.port', 'redis.url'].sort(),
    );
  });

  it('refuses a job lock that does not outlast the HTTP timeout with a margin, naming both', () => {
    const problems = problemsOf(() => load(`worker:\n  lockDurationMs: 10000\n${endpoint('    timeout: 6s\n')}`));
    expect(problems).toStrictEqual([
      { key: 'endpoints[0].timeout', reason: 'must be at most half of worker.lockDurationMs (timeout 6000ms, lock 10000ms)' },
    ]);
  });

  it('names the environment variable when HERALD_ENDPOINTS is not JSON', () => {
    expect(problemsOf(() => loadConfig({ env: { HERALD_ENDPOINTS: '[{name: a' } }))).toStrictEqual([
      { key: 'HERALD_ENDPOINTS', reason: 'must be a JSON list of endpoints' },
    ]);
  });

  it('names the config key when an environment variable is bad', () => {
    expect(problemsOf(() => loadConfig({ env: { HERALD_WORKER_CONCURRENCY: 'many' } })).map((p) => p.key)).toStrictEqual([
      'worker.concurrency',
    ]);
  });

  it('names a missing file', () => {
    const file = join(dir, 'missing.yml');
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toStrictEqual([{ key: file, reason: 'no such file' }]);
  });

  it('names the line of a YAML syntax error without quoting the text', () => {
    const file = write('ingest:\n  token: "unterminated-secret\nhttp: {\n');
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems[0]?.key).toBe(file);
    expect(problems[0]?.reason).toMatch(/^not valid YAML or JSON at line \d+, column \d+/);
    expect(JSON.stringify(problems)).not.toContain('unterminated-secret');
  });

  it('rejects a duplicate key in the file', () => {
    const problems = problemsOf(() => load('redis:\n  prefix: a\n  prefix: b\n'));
    expect(problems[0]?.reason).toContain('DUPLICATE_KEY');
  });

  it('rejects a file that is a list', () => {
    const file = write('- a\n- b\n');
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toStrictEqual([
      { key: file, reason: 'must be a map of settings, not a list or a value' },
    ]);
  });

  it('never puts a secret in a problem', () => {
    const text = [
      'redis:\n  url: "redis://:redis-pass-123@127.0.0.1:notaport"',
      'ingest:\n  token: 424242424242',
      'board:\n  password: [board-pass-123]',
      'endpoints:\n  - name: a\n    url: "gopher://user:url-pass-123@x/?q=query-secret-123"\n    secret: whsec-signing-secret-123\n    headers:\n      Authorization: [Bearer header-secret-123, 7]',
    ].join('\n');
    const error = (() => {
      try {
        load(`${text}\n`);
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems.map((problem) => problem.key).sort()).toStrictEqual(
      ['board.password', 'endpoints[0].headers.Authorization', 'endpoints[0].secret', 'endpoints[0].url', 'ingest.token', 'redis.url'].sort(),
    );
    for (const secret of ['signing-secret-123', 'redis-pass-123', '424242424242', 'board-pass-123', 'url-pass-123', 'query-secret-123', 'header-secret-123']) {
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.problems)).not.toContain(secret);
    }
  });
});

describe('describeConfig and summarizeConfig', () => {
  const secrets = ['ingest-token-do-not-print', 'tok-123', 'pw-123', 'redis-pw-123', 'url-pw-123', 'q-123'];
  const config = () =>
    loadConfig({
      file: registryConfig,
      env: {
        HERALD_INGEST_TOKEN: 'tok-123',
        HERALD_BOARD_USERNAME: 'admin',
        HERALD_BOARD_PASSWORD: 'pw-123',
        REDIS_URL: 'redis://:redis-pw-123@127.0.0.1:6379/0?x=1',
      },
    });

  it('redacts every secret', () => {
    const described = describeConfig(config());
    const text = JSON.stringify(described);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(described).toMatchObject({
      redis: { url: 'redis://127.0.0.1:6379/0' },
      ingest: { token: '[redacted]' },
      board: { username: 'admin', password: '[redacted]' },
    });
    expect((described['endpoints'] as unknown[])[0]).toMatchObject({
      name: 'herald-ingest',
      headers: { Authorization: ['[redacted]'] },
      timeout: '500ms',
      backoff: '1s',
    });
  });

  it('redacts credentials and query of endpoint URLs', () => {
    const loaded = load('endpoints:\n  - { name: a, url: "https://u:url-pw-123@hooks.example/x?token=q-123" }\n');
    expect(describeConfig(loaded)).toMatchObject({ endpoints: [{ url: 'https://hooks.example/x' }] });
    expect(summarizeConfig(loaded)).not.toContain('url-pw-123');
  });

  it('names the egress policy in the summary once something is denied', () => {
    const loaded = loadConfig({ env: { HERALD_EGRESS_DENY: 'private', HERALD_EGRESS_ALLOW: '10.1.0.0/16,hooks.internal' } });
    expect(summarizeConfig(loaded)).toMatch(/; egress deny private except 10\.1\.0\.0\/16, hooks\.internal$/);
    expect(summarizeConfig(loadConfig({ env: { HERALD_EGRESS_ALLOW: '10.1.0.0/16' } }))).not.toContain('egress');
  });

  it('summarizes in one line without secrets', () => {
    const summary = summarizeConfig(config());
    expect(summary).toBe(
      '2 endpoints (herald-ingest, audit) + 1 disabled from a registry config.yml; redis redis://127.0.0.1:6379/0 prefix "herald"; http 127.0.0.1:8420',
    );
    for (const secret of secrets) expect(summary).not.toContain(secret);
  });

  it('shows batching in the summary and in the printed config, in units it reads back', () => {
    const loaded = load(endpoint('    maxbatch: 32\n    maxbatchbytes: 262144\n'));
    expect(summarizeConfig(loaded)).toMatch(/^1 endpoint \(hook ×32\);/);
    expect(describeConfig(loaded)).toMatchObject({ endpoints: [{ maxbatch: 32, maxbatchbytes: '256KiB' }] });
  });
});

describe('worker.history', () => {
  it('reads a duration, 0 turning the window off, and names the key when it is not one', () => {
    expect(loadConfig({ env: { HERALD_WORKER_HISTORY: '24h', HERALD_WORKER_HISTORY_LIMIT: '5000' } }).worker).toMatchObject({ historyMs: 86_400_000, historyLimit: 5000 });
    expect(loadConfig({ env: { HERALD_WORKER_HISTORY: '0' } }).worker.historyMs).toBe(0);
    expect(() => loadConfig({ env: { HERALD_WORKER_HISTORY: 'a day' } })).toThrow(/^worker\.history: must be a duration/m);
  });
});

describe('board.readOnly', () => {
  it('defaults to read-only off loopback and to writable on it; an explicit value wins either way', () => {
    const off = { HERALD_HTTP_HOST: '0.0.0.0' };
    expect(loadConfig({ env: {} }).board.readOnly).toBe(false);
    expect(loadConfig({ env: off }).board.readOnly).toBe(true);
    expect(loadConfig({ env: { ...off, HERALD_BOARD_READ_ONLY: 'false' } }).board.readOnly).toBe(false);
    expect(loadConfig({ env: { HERALD_BOARD_READ_ONLY: 'true' } }).board.readOnly).toBe(true);
    expect(() => loadConfig({ env: { HERALD_BOARD_READ_ONLY: 'yes' } })).toThrow(/^board\.readOnly: must be true or false/m);
  });
});

describe('secrets from files', () => {
  const secrets = mkdtempSync(join(tmpdir(), 'herald-secret-files-'));
  afterAll(() => rmSync(secrets, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(secrets, name);
    writeFileSync(path, content);
    return path;
  };
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig({ env });
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };
  const whsec = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

  it('reads the ingest token, board password and Redis password from files, dropping one trailing newline', () => {
    const config = loadConfig({
      env: {
        HERALD_INGEST_TOKEN_FILE: file('token', 't0ken-from-file\n'),
        HERALD_BOARD_USERNAME: 'admin',
        HERALD_BOARD_PASSWORD_FILE: file('board', 'b0ard pass\r\n'),
        HERALD_REDIS_URL: 'redis://redis.internal:6379/2',
        HERALD_REDIS_PASSWORD_FILE: file('redis', 'p@ss:word/1\n'),
      },
    });
    expect(config.ingest.token).toBe('t0ken-from-file');
    expect(config.board.password).toBe('b0ard pass');
    expect(new URL(config.redis.url).password).toBe(encodeURIComponent('p@ss:word/1'));
    expect(decodeURIComponent(new URL(config.redis.url).password)).toBe('p@ss:word/1');
    const printed = JSON.stringify(describeConfig(config));
    for (const secret of ['t0ken-from-file', 'b0ard pass', 'p@ss', encodeURIComponent('p@ss:word/1')]) expect(printed).not.toContain(secret);
  });

  it('reads endpoint signing secrets and header values from files', () => {
    const endpoints = [{ name: 'audit', url: 'https://audit.example/', secret: whsec, secretfile: [file('whsec', `${whsec}\n`)], headerfiles: { Authorization: file('auth', 'Bearer fr0m-file\n') } }];
    const [endpoint] = loadConfig({ env: { HERALD_ENDPOINTS: JSON.stringify(endpoints) } }).endpoints;
    expect(endpoint!.secrets).toStrictEqual([whsec, whsec]);
    expect(endpoint!.headers).toStrictEqual({ Authorization: ['Bearer fr0m-file'] });
  });

  it('names the key and what is wrong with the file, never its content', () => {
    const missing = join(secrets, 'no-such-file');
    expect(problemsOf({ HERALD_INGEST_TOKEN_FILE: missing })).toStrictEqual([{ key: 'ingest.tokenFile', reason: 'names a file that does not exist' }]);
    expect(problemsOf({ HERALD_INGEST_TOKEN_FILE: file('empty', '\n') })).toStrictEqual([{ key: 'ingest.tokenFile', reason: 'names an empty file' }]);
    expect(problemsOf({ HERALD_BOARD_PASSWORD_FILE: file('two', 'one\ntwo\n') })).toStrictEqual([{ key: 'board.passwordFile', reason: 'names a file of several lines; it must hold one secret' }]);
    expect(problemsOf({ HERALD_INGEST_TOKEN: 'x', HERALD_INGEST_TOKEN_FILE: file('t2', 'y') })).toStrictEqual([
      { key: 'ingest.tokenFile', reason: 'set either ingest.token or ingest.tokenFile, not both' },
    ]);
    const badSecret = file('bad-whsec', 'not-a-secret-at-all\n');
    const endpoints = [{ name: 'a', url: 'https://a.example/', secretfile: badSecret, headers: { Authorization: 'Bearer x' }, headerfiles: { authorization: file('h', 'Bearer y') } }];
    const problems = problemsOf({ HERALD_ENDPOINTS: JSON.stringify(endpoints) });
    expect(problems).toStrictEqual([
      { key: 'HERALD_ENDPOINTS[0].headerfiles.authorization', reason: 'is also in headers: set it in one place' },
      { key: 'HERALD_ENDPOINTS[0].secretfile', reason: 'must be "whsec_" followed by 24 to 64 bytes in base64' },
    ]);
    expect(JSON.stringify(problems)).not.toContain('not-a-secret');
  });
});

describe('egress settings', () => {
  it('reads deny and allow from the file', () => {
    const config = load('egress:\n  deny: [private, 198.51.100.0/24]\n  allow: [10.1.0.0/16, hooks.internal.example, "*.corp.example"]\n');
    expect(config.egress).toStrictEqual({
      deny: ['private', '198.51.100.0/24'],
      allow: ['10.1.0.0/16', 'hooks.internal.example', '*.corp.example'],
    });
  });

  it('reads comma-separated lists from the environment', () => {
    const config = loadConfig({ env: { HERALD_EGRESS_DENY: 'private, 203.0.113.0/24', HERALD_EGRESS_ALLOW: '127.0.0.1,localhost' } });
    expect(config.egress).toStrictEqual({ deny: ['private', '203.0.113.0/24'], allow: ['127.0.0.1', 'localhost'] });
  });

  it('refuses a deny entry that is neither "private" nor a CIDR, naming the key', () => {
    const problems = problemsOf(() => load('egress:\n  deny: [private, internal]\n'));
    expect(problems).toStrictEqual([{ key: 'egress.deny', reason: expect.stringContaining('"private" or a CIDR range') }]);
  });

  it('refuses a bad entry from the environment, naming the key', () => {
    const problems = problemsOf(() => loadConfig({ env: { HERALD_EGRESS_ALLOW: '10.0.0.0/33' } }));
    expect(problems.map((problem) => problem.key)).toStrictEqual(['egress.allow']);
  });

  it("reads an endpoint's own egress.allow", () => {
    const config = load('endpoints:\n  - name: hook\n    url: http://10.0.0.7/\n    egress:\n      allow: [10.0.0.7/32]\n');
    expect(config.endpoints[0]?.egressAllow).toStrictEqual(['10.0.0.7/32']);
  });

  it("refuses a bad entry or key in an endpoint's egress, naming each", () => {
    const text = 'endpoints:\n  - name: hook\n    url: http://10.0.0.7/\n    egress:\n      allow: [10.0.0.7/32, "bad host!"]\n      deny: [private]\n';
    expect(problemsOf(() => load(text)).map((problem) => problem.key).sort()).toStrictEqual(
      ['endpoints[0].egress.allow[1]', 'endpoints[0].egress.deny'].sort(),
    );
  });
});

describe('redis modes', () => {
  it('uses a Redis Cluster when cluster nodes are listed, from the file or comma-separated from the environment', () => {
    const fromFile = load('redis:\n  cluster:\n    nodes: [redis://10.0.1.1:6379, redis://10.0.1.2:6379]\n');
    expect(fromFile.redis).toMatchObject({ mode: 'cluster', cluster: { nodes: ['redis://10.0.1.1:6379', 'redis://10.0.1.2:6379'] } });
    const fromEnv = loadConfig({ env: { HERALD_REDIS_CLUSTER_NODES: 'redis://10.0.1.1:6379, redis://10.0.1.2:6379' } });
    expect(fromEnv.redis.cluster.nodes).toStrictEqual(['redis://10.0.1.1:6379', 'redis://10.0.1.2:6379']);
    expect(summarizeConfig(fromEnv)).toContain('; redis cluster redis://10.0.1.1:6379, redis://10.0.1.2:6379 prefix "herald";');
  });

  it('finds the master through Sentinel when a name and Sentinels are given', () => {
    const config = loadConfig({
      env: { HERALD_REDIS_SENTINEL_NAME: 'herald', HERALD_REDIS_SENTINEL_NODES: 'redis://:sentinel-pw-1@10.0.2.1:26379', HERALD_REDIS_DURABILITY: 'replicated' },
    });
    expect(config.redis).toMatchObject({ mode: 'sentinel', sentinel: { name: 'herald', nodes: ['redis://:sentinel-pw-1@10.0.2.1:26379'] }, durability: 'replicated' });
    const summary = summarizeConfig(config);
    expect(summary).toContain('; redis sentinel "herald" via redis://10.0.2.1:26379 prefix "herald", writes wait for a replica;');
    expect(JSON.stringify(describeConfig(config))).not.toContain('sentinel-pw-1');
  });

  it('takes REDIS_URL from the environment as a default that a cluster overrides', () => {
    const config = loadConfig({ env: { REDIS_URL: 'redis://127.0.0.1:6379', HERALD_REDIS_CLUSTER_NODES: 'redis://10.0.1.1:6379' } });
    expect(config.redis.mode).toBe('cluster');
  });

  it.each([
    ['redis.url and cluster nodes', { HERALD_REDIS_URL: 'redis://a:6379', HERALD_REDIS_CLUSTER_NODES: 'redis://b:6379' }, 'redis.url', 'set redis.url or redis.cluster.nodes, not both'],
    ['cluster and sentinel', { HERALD_REDIS_CLUSTER_NODES: 'redis://b:6379', HERALD_REDIS_SENTINEL_NAME: 'm', HERALD_REDIS_SENTINEL_NODES: 'redis://c:26379' }, 'redis.sentinel', 'not both'],
    ['a Sentinel name without Sentinels', { HERALD_REDIS_SENTINEL_NAME: 'm' }, 'redis.sentinel.nodes', 'at least one Sentinel'],
    ['Sentinels without a name', { HERALD_REDIS_SENTINEL_NODES: 'redis://c:26379' }, 'redis.sentinel.name', 'must name the master'],
    ['a cluster node that is not a Redis URL', { HERALD_REDIS_CLUSTER_NODES: 'redis://b:6379,http://c:6379' }, 'redis.cluster.nodes', 'redis://'],
    ['an unknown durability', { HERALD_REDIS_DURABILITY: 'fsynced' }, 'redis.durability', 'must be one of'],
  ])('refuses %s, naming the key', (_name, env, key, reason) => {
    const problems = problemsOf(() => loadConfig({ env }));
    expect(problems).toContainEqual({ key, reason: expect.stringContaining(reason) });
  });

  it('refuses redis.url in the file together with cluster nodes', () => {
    const problems = problemsOf(() => load('redis:\n  url: redis://a:6379\n  cluster:\n    nodes: [redis://b:6379]\n'));
    expect(problems.map((problem) => problem.key)).toStrictEqual(['redis.url']);
  });
});
