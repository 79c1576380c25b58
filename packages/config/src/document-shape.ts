import type { Report } from './field-readers.js';

/**
 * The shape of a config document, checked against the schema before convict reads it.
 * convict splits keys on dots and walks into whatever object it meets, so a flat
 * `redis.url:` was ignored without a word (and `egress.deny:` with it), `ingest:` left
 * empty threw a TypeError, and a map where a value goes was reported as `$`, or by its
 * own keys — a secret, under `redis.url`. Here each such key is reported by its path,
 * never by a value, and only what convict can read is handed on.
 */

/** A group of the schema (its keys) or a leaf (a setting, with `default`). */
type SchemaNode = Readonly<Record<string, unknown>>;

function isLeaf(node: SchemaNode): boolean {
  return Object.hasOwn(node, 'default');
}

/** A map as YAML and JSON give it: not a list, not a Set, Map, Date or byte array. */
export function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** What a value is, for a reason: never the value itself. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value !== 'object') return `a ${typeof value}`;
  if (isPlainMap(value)) return 'a map';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
}

/** The key path of `key` under `at`; an empty key is shown as `[""]`, so that a path is never empty. */
function join(at: string, key: string): string {
  if (key === '') return `${at}[""]`;
  return at === '' ? key : `${at}.${key}`;
}

/**
 * Returns the part of `value`, the settings under group `group` at key path `at`, that
 * convict can read; reports every key it leaves out. An empty group (`ingest:` with every
 * line commented out, which YAML reads as null) is no settings, like an empty file.
 */
function checkGroup(value: unknown, group: SchemaNode, at: string, report: Report): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  if (!isPlainMap(value)) {
    report(at, `must be a map of settings, not ${kindOf(value)}`);
    return undefined;
  }
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const path = join(at, key);
    const node = Object.hasOwn(group, key) ? (group[key] as SchemaNode) : undefined;
    if (node === undefined || typeof node !== 'object') {
      report(path, key.includes('.') ? `unknown key; write it nested (${key.replace(/^([^.]*)\.(.*)$/, '$1: {$2: ...}')})` : 'unknown key');
      continue;
    }
    if (!isLeaf(node)) {
      const settings = checkGroup(item, node, path, report);
      if (settings !== undefined) kept[key] = settings;
    } else if (typeof item === 'object' && item !== null && !Array.isArray(item) && !(node['format'] === 'token-map' && isPlainMap(item))) {
      // Never its keys: under a secret they may be the secret, written one level too deep.
      report(path, `must be a single value or a list, not ${kindOf(item)}`);
    } else {
      kept[key] = item;
    }
  }
  return kept;
}

/** The settings of `document` convict can read, every key it cannot reported by path. */
export function checkDocumentShape(document: Record<string, unknown>, schema: SchemaNode, report: Report): Record<string, unknown> {
  return checkGroup(document, schema, '', report) ?? {};
}
