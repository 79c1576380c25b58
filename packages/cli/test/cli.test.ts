import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/herald.js', import.meta.url));
const registryConfig = fileURLToPath(new URL('../../config/test/fixtures/registry-config.yml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function herald(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('herald', () => {
  it('prints usage with --help and exits 0', () => {
    const { code, stdout, stderr } = herald(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: herald <command>');
    expect(stdout).toContain('config check');
    expect(stderr).toBe('');
  });

  it('prints usage and exits 2 without a command', () => {
    const { code, stdout } = herald([]);
    expect(code).toBe(2);
    expect(stdout).toContain('Usage: herald <command>');
  });

  it('prints its version', () => {
    expect(herald(['--version'])).toMatchObject({ code: 0, stdout: 'herald 0.1.0\n' });
  });

  it('exits 2 on an unknown command or option', () => {
    const unknown = herald(['deliver']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('herald: unknown command "deliver"\nRun "herald --help" for usage.\n');
    const option = herald(['config', 'check', '--cnofig', 'x']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("Unknown option '--cnofig'");
    expect(herald(['config']).stderr).toContain('"herald config" takes "check"');
  });

  it('has --help on each command', () => {
    expect(herald(['config', 'check', '--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: herald config check') });
    expect(herald(['start', '--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: herald start') });
  });
});

describe('herald config check', () => {
  it('summarizes a good config in one line and exits 0', () => {
    const config = file('good.yml', 'endpoints:\n  - name: audit\n    url: https://audit.example/hook\n    headers:\n      Authorization: [Bearer hdr-secret-1]\n');
    const { code, stdout, stderr } = herald(['config', 'check', '--config', config]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe('config ok: 1 endpoint (audit); redis redis://127.0.0.1:6379 prefix "herald"; http 127.0.0.1:8420\n');
  });

  it('reads the endpoints of a registry config.yml', () => {
    const { code, stdout } = herald(['config', 'check', '-c', registryConfig]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      'config ok: 2 endpoints (herald-ingest, audit) + 1 disabled from a registry config.yml; redis redis://127.0.0.1:6379 prefix "herald"; http 127.0.0.1:8420\n',
    );
  });

  it('reads HERALD_CONFIG and REDIS_URL', () => {
    const config = file('env.yml', 'redis:\n  prefix: staging\n');
    const { code, stdout } = herald(['config', 'check'], { HERALD_CONFIG: config, REDIS_URL: 'redis://:pw-9@10.0.0.5:6380' });
    expect(code).toBe(0);
    expect(stdout).toBe('config ok: no endpoints; redis redis://10.0.0.5:6380 prefix "staging"; http 127.0.0.1:8420\n');
  });

  it('prints the effective config with secrets redacted', () => {
    const { code, stdout } = herald(['config', 'check', '--config', registryConfig, '--print'], {
      HERALD_INGEST_TOKEN: 'tok-secret-1',
      HERALD_BOARD_PASSWORD: 'board-secret-1',
    });
    expect(code).toBe(0);
    const printed = JSON.parse(stdout.slice(stdout.indexOf('\n') + 1)) as Record<string, unknown>;
    expect(printed).toMatchObject({ ingest: { token: '[redacted]' }, board: { password: '[redacted]' } });
    for (const secret of ['tok-secret-1', 'board-secret-1', 'ingest-token-do-not-print']) expect(stdout).not.toContain(secret);
  });

  it('lists every problem of a bad config, one per line, and exits 2', () => {
    const config = file(
      'bad.yml',
      [
        'ingest:',
        '  token: 12345678',
        'endpoints:',
        '  - name: a',
        '    url: ftp://user:url-secret-1@x/',
        '    timeout: -5s',
        '    headers:',
        '      Authorization: [Bearer hdr-secret-2, 3]',
        '  - name: a',
        '    url: http://x/',
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = herald(['config', 'check', '--config', config]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      [
        `config invalid: 5 problems in ${config}`,
        '  ingest.token: must be a string',
        '  endpoints[0].url: must be http(s)',
        '  endpoints[0].headers.Authorization: must be a list of strings',
        '  endpoints[0].timeout: must not be negative',
        '  endpoints[1].name: duplicates endpoints[0].name "a"',
        '',
      ].join('\n'),
    );
  });

  it('exits 2 naming a missing file', () => {
    const missing = join(dir, 'nope.yml');
    const { code, stderr } = herald(['config', 'check', '--config', missing]);
    expect(code).toBe(2);
    expect(stderr).toContain(`  ${missing}: no such file`);
  });
});

describe('herald start', () => {
  it('exits 2 on a bad config', () => {
    const { code, stderr } = herald(['start'], { HERALD_HTTP_PORT: 'x' });
    expect(code).toBe(2);
    expect(stderr).toContain('  http.port: ');
  });

  it('exits 2 when --receiver names no loopback endpoint', () => {
    const { code, stderr } = herald(['start', '--config', registryConfig, '--receiver', 'audit']);
    expect(code).toBe(2);
    expect(stderr).toBe('herald: --receiver audit: no endpoint of that name with a loopback http URL in the config\n');
  });

  it('exits 2 and says how to get a Redis when none answers and none can be started', () => {
    const { code, stderr } = herald(['start'], { REDIS_URL: 'redis://127.0.0.1:9', PATH: '/nonexistent' });
    expect(code).toBe(2);
    expect(stderr).toContain('nothing answers at redis://127.0.0.1:9');
    expect(stderr).toContain('docker compose up -d redis');
  });
});

describe('role commands', () => {
  it.each(['ingest', 'worker', 'board', 'receiver'])('herald %s --help exits 0', (command) => {
    const { code, stdout } = herald([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: herald ${command}`);
  });

  it('refuses an exposed board without a login, naming the key', () => {
    const { code, stderr } = herald(['board'], { HERALD_HTTP_HOST: '0.0.0.0', HERALD_HTTP_PORT: '0' });
    expect(code).toBe(2);
    expect(stderr).toContain('board.username');
  });

  it('refuses an exposed ingest without a token, naming the key and the way to open it on purpose', () => {
    const { code, stderr } = herald(['ingest'], { HERALD_HTTP_HOST: '0.0.0.0', HERALD_HTTP_PORT: '0' });
    expect(code).toBe(2);
    expect(stderr).toContain('ingest.token');
    expect(stderr).toContain('ingest.allowAnonymous');
    expect(stderr).not.toContain('    at ');
  });
});
