import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderConfigReference, replaceReference, settings } from './config-reference.js';
import { ENDPOINT_KEYS, readEndpoints } from './endpoint.js';
import { ENDPOINT_REFERENCE } from './endpoint-reference.js';
import { loadConfig } from './load-config.js';

const PAGE = new URL('../../../docs/configuration.md', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'herald-reference-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file holding `content` in the test's folder; its path. */
function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Settings a key is useless without: a Sentinel name needs Sentinels, and the other way round. */
function companionsOf(key: string): Record<string, string> {
  if (key === 'redis.sentinel.name') return { HERALD_REDIS_SENTINEL_NODES: 'redis://127.0.0.1:26379' };
  if (key === 'redis.sentinel.nodes') return { HERALD_REDIS_SENTINEL_NAME: 'herald' };
  return {};
}

/** The example as the environment would carry it. */
function asEnv(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

describe('docs/configuration.md', () => {
  it('holds the reference the schema renders (run `npm run docs:config` after changing a key)', () => {
    const page = readFileSync(PAGE, 'utf8');
    expect(page, 'docs/configuration.md is stale: run `npm run docs:config`').toBe(replaceReference(page, renderConfigReference()));
  });

  it('names every setting with its env variable, and every endpoint key', () => {
    const generated = renderConfigReference();
    for (const { key, leaf } of settings()) expect(generated).toContain(`| \`${key}\` | \`${leaf.env}\``);
    for (const key of ENDPOINT_KEYS) expect(generated).toMatch(new RegExp(`\\| \`${key}(\\.[A-Za-z]+)?\` \\|`));
  });
});

describe('the reference', () => {
  it('documents exactly the keys endpoint.ts reads', () => {
    const documented = new Set(ENDPOINT_REFERENCE.map((entry) => entry.key.split('.')[0]));
    expect([...documented].sort()).toStrictEqual([...ENDPOINT_KEYS].sort());
  });

  it('gives examples that the loader accepts, each through its env variable', () => {
    for (const { key, leaf } of settings()) {
      // A `…File` key names a file: the example's file is made, holding a secret.
      const example = key.endsWith('File') ? secretFile(key, 'example-secret') : leaf.example;
      const env: Record<string, string> = { ...companionsOf(key), [leaf.env]: asEnv(example) };
      // Off loopback, ingest and the board ask for credentials elsewhere; the example itself must pass.
      expect(() => loadConfig({ env }), key).not.toThrow();
    }
  });

  it('gives endpoint examples that readEndpoints accepts, all in one entry', () => {
    const entry: Record<string, unknown> = {};
    for (const { key, example } of ENDPOINT_REFERENCE) {
      const [head, tail] = key.split('.') as [string, string | undefined];
      // TLS keys and secret files name files, which must exist.
      let value = example;
      if (head === 'tls' && typeof example === 'string') {
        value = join(dir, tail!);
        writeFileSync(value as string, 'PEM');
      }
      if (head === 'secretfile') value = secretFile(head, `whsec_${Buffer.alloc(32, 7).toString('base64')}\n`);
      if (head === 'headerfiles') value = Object.fromEntries(Object.keys(example as object).map((name) => [name, secretFile(`${head}-${name}`, 'k3y\n')]));
      if (tail === undefined) entry[head] = value;
      else entry[head] = { ...(entry[head] as object | undefined), [tail]: value };
    }
    expect(readEndpoints([entry], 'endpoints').problems).toStrictEqual([]);
  });
});
