import { readFileSync } from 'node:fs';
import fc from 'fast-check';

/**
 * Generators of hostile and near-valid envelopes for the property-based tests: the real
 * envelopes of packages/events/test/fixtures (captured from distribution 2.8.2, and
 * GitLab's shape), mutated a few places deep — a field dropped, retyped, made huge, nested
 * deep, given a `__proto__` key or a duplicate id — so that properties reach the deep paths
 * of the validator, not only its first refusal. `inProcess` values (bigints, holes, boxed
 * primitives, Dates, functions) exist only for in-process calls; `wire` ones are JSON.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Key = string | number;

const fixtures = new URL('../../packages/events/test/fixtures/', import.meta.url);

/** Every real envelope the fixtures hold, as parsed from the wire. */
export const FIXTURE_ENVELOPES: readonly { events: Json[] }[] = [
  ...readFileSync(new URL('distribution-2.8.2.jsonl', fixtures), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { body: { events: Json[] } }).body),
  JSON.parse(readFileSync(new URL('gitlab.json', fixtures), 'utf8')) as { events: Json[] },
];

/** A deep copy where one can be made (structuredClone keeps holes and boxed values), else the value itself. */
function copy<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/** Lone surrogates, controls, astral characters: strings JSON and UTF-8 treat unevenly. */
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 3 }),
  fc.constantFrom('', ' ', '\n', 'a\nb', '\u0000', '\u2028', '\uFEFF', '🐳', 'é', 'e\u0301', '"', '\\', '__proto__', 'constructor', 'toString'),
);

/** Strings that look like another type: numbers, booleans, timestamps and digests as text. */
const lookalike = fc.constantFrom('10', '-1', '1e3', '0x10', 'true', 'null', '2026-11-28T02:15:00Z', 'sha256:', 'NaN', 'Infinity');

/** A JSON value of any shape, odd strings and big numbers included. */
const wireValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: lookalike },
  { weight: 1, arbitrary: fc.constantFrom<Json>(0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2, -0, [], {}, null, true, false) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((length) => 'x'.repeat(length)) },
);

/** Values only an in-process caller can pass: JSON would refuse, drop or change each. */
const inProcessValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.bigInt(),
  fc.constantFrom(undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, () => 1, Symbol('s'), new Date(0), new Map(), new Set([1])),
  fc.oneof(fc.string(), fc.integer(), fc.boolean()).map((value) => Object(value) as unknown),
  fc.nat({ max: 5 }).map((length) => new Array<unknown>(length)),
  fc.constant(null).map(() => Object.assign(Object.create({ inherited: true }) as object, { own: 1 })),
  fc.anything({ withBigInt: true, withBoxedValues: true, withSparseArray: true, withNullPrototype: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, maxDepth: 2 }),
);

/** One change to an envelope: where (indexes into the keys met on the way) and what. */
type Mutation =
  | { readonly kind: 'drop'; readonly where: number[] }
  | { readonly kind: 'set'; readonly where: number[]; readonly value: unknown }
  | { readonly kind: 'add'; readonly where: number[]; readonly key: string; readonly value: unknown }
  | { readonly kind: 'nest'; readonly where: number[]; readonly depth: number; readonly asList: boolean }
  | { readonly kind: 'retype'; readonly where: number[] }
  | { readonly kind: 'proto'; readonly where: number[]; readonly value: unknown }
  | { readonly kind: 'duplicate'; readonly from: number; readonly to: number; readonly whole: boolean };

function mutation(value: fc.Arbitrary<unknown>): fc.Arbitrary<Mutation> {
  const where = fc.array(fc.nat(), { minLength: 1, maxLength: 5 });
  return fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), where }),
    fc.record({ kind: fc.constant('set' as const), where, value }),
    fc.record({ kind: fc.constant('add' as const), where, key: fc.oneof(oddString, fc.constantFrom('id', 'target', 'size', 'events', '__proto__')), value }),
    fc.record({ kind: fc.constant('nest' as const), where, depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 100, max: 600 })), asList: fc.boolean() }),
    fc.record({ kind: fc.constant('retype' as const), where }),
    fc.record({ kind: fc.constant('proto' as const), where, value }),
    fc.record({ kind: fc.constant('duplicate' as const), from: fc.nat(), to: fc.nat(), whole: fc.boolean() }),
  );
}

function isContainer(value: unknown): value is Record<Key, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Walks from the root by `where`, returning the container and key of the last step, and the path taken. */
function locate(root: Record<Key, unknown>, where: readonly number[]): { parent: Record<Key, unknown>; key: Key; path: Key[] } | undefined {
  let parent = root;
  const path: Key[] = [];
  for (const [step, pick] of where.entries()) {
    const keys: Key[] = Array.isArray(parent) ? parent.map((_, index) => index) : Object.keys(parent);
    if (keys.length === 0) return undefined;
    const key = keys[pick % keys.length]!;
    path.push(key);
    const next = parent[key];
    if (step === where.length - 1 || !isContainer(next)) return { parent, key, path };
    parent = next;
  }
  return undefined;
}

/** The same data as another JSON type: numbers as strings, strings as numbers, objects as lists. */
function retyped(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return Number.isNaN(Number(value)) ? value.length : Number(value);
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [index, item]));
  if (isContainer(value)) return Object.values(value);
  return value === null ? 'null' : String(value);
}

function apply(envelope: { events: unknown[] }, change: Mutation): void {
  if (change.kind === 'duplicate') {
    const events = envelope.events;
    if (!Array.isArray(events) || events.length === 0) return;
    const from = events[change.from % events.length];
    if (change.whole || !isContainer(from)) events.push(copy(from));
    else events.splice(change.to % (events.length + 1), 0, { ...copy(from as object), id: (from as { id?: unknown }).id });
    return;
  }
  const found = locate(envelope as unknown as Record<Key, unknown>, change.where);
  if (found === undefined) return;
  const { parent, key } = found;
  switch (change.kind) {
    case 'drop':
      delete parent[key];
      return;
    case 'set':
      parent[key] = change.value;
      return;
    case 'add': {
      const target = isContainer(parent[key]) ? (parent[key] as Record<Key, unknown>) : parent;
      // A list with its own `constructor` breaks Array.prototype.map (fast-check's own printer).
      if (Array.isArray(target)) return;
      Object.defineProperty(target, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
      return;
    }
    case 'nest': {
      let value = parent[key];
      for (let level = 0; level < change.depth; level += 1) value = change.asList ? [value] : { x: value };
      parent[key] = value;
      return;
    }
    case 'retype':
      parent[key] = retyped(parent[key]);
      return;
    case 'proto':
      if (Array.isArray(parent)) return;
      // An own `__proto__` key, as JSON.parse makes it: not the prototype.
      Object.defineProperty(parent, '__proto__', { value: change.value, enumerable: true, writable: true, configurable: true });
      return;
  }
}

function mutated(value: fc.Arbitrary<unknown>, maxMutations: number): fc.Arbitrary<{ events: unknown[] }> {
  return fc
    .tuple(
      fc.constantFrom(...FIXTURE_ENVELOPES),
      // Mostly one change or none, so that many envelopes stay valid and reach storage.
      fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        { weight: 4, arbitrary: fc.array(mutation(value), { minLength: 1, maxLength: 1 }) },
        { weight: 3, arbitrary: fc.array(mutation(value), { minLength: 2, maxLength: Math.max(2, maxMutations) }) },
      ),
      fc.integer({ min: 1, max: 3 }),
    )
    .map(([base, changes, copies]) => {
      // Several fixture envelopes' events in one, sometimes.
      const envelope = copy(base) as { events: unknown[] };
      for (let extra = 1; extra < copies; extra += 1) envelope.events.push(...copy(FIXTURE_ENVELOPES[(extra * 5) % FIXTURE_ENVELOPES.length]!.events));
      for (const change of changes) {
        try {
          apply(envelope, change);
        } catch {
          // A typed array or a frozen value cannot take this change: leave it.
        }
      }
      return envelope;
    });
}

/** Near-valid envelopes of JSON data only: what a registry, or an attacker, can POST. */
export function wireEnvelope(maxMutations = 4): fc.Arbitrary<{ events: unknown[] }> {
  return mutated(wireValue, maxMutations);
}

/** Near-valid envelopes that may hold values only an in-process caller can pass. */
export function inProcessEnvelope(maxMutations = 4): fc.Arbitrary<{ events: unknown[] }> {
  return mutated(fc.oneof(wireValue, inProcessValue), maxMutations);
}

/** Anything at all, in-process: the validator must answer every value with a list of problems. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ withBigInt: true, withBoxedValues: true, withSparseArray: true, withNullPrototype: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withObjectString: true }),
  fc.record({ events: fc.anything({ withBigInt: true, withBoxedValues: true, withSparseArray: true, withNullPrototype: true }) }),
  fc.record({ events: fc.array(fc.anything({ withBigInt: true, withBoxedValues: true, withSparseArray: true }), { minLength: 1 }) }),
  inProcessEnvelope(),
);

/**
 * The text of a wire envelope, sometimes changed as text: a duplicate key, a number JSON
 * cannot hold exactly, a byte-order mark, a truncation or trailing garbage.
 */
export function wireText(maxMutations = 4): fc.Arbitrary<string> {
  const edit = fc.oneof({ weight: 7, arbitrary: fc.constant(-1) }, { weight: 3, arbitrary: fc.nat({ max: 5 }) });
  return fc.tuple(wireEnvelope(maxMutations), edit, fc.nat(), fc.nat({ max: 2 })).map(([envelope, edit, at, indent]) => {
    const text = JSON.stringify(envelope, null, indent === 0 ? undefined : indent * 3);
    const cut = at % (text.length + 1);
    switch (edit) {
      case 0:
        return text.replace('"id":', '"id":"shadowed","id":');
      case 1:
        return text.replace(/"size":\s*\d+/, '"size":1e400');
      case 2:
        return text.replace(/"length":\s*\d+/, '"length":12345678901234567890');
      case 3:
        return `\uFEFF${text}`;
      case 4:
        return text.slice(0, cut);
      case 5:
        return `${text}${text.slice(cut)}`;
      default:
        return text;
    }
  });
}
