import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParameters, fuzzTimeout } from '../../../test/helpers/fuzz-runs.js';
import { anyValue, FIXTURE_ENVELOPES, inProcessEnvelope, wireEnvelope } from '../../../test/helpers/hostile-envelopes.js';
import { EnvelopeValidationError } from './errors.js';
import { MAX_LISTED_PROBLEMS, parseEnvelope, validateEnvelope } from './validate-envelope.js';

/**
 * Properties of the validator of untrusted envelopes, over random values and over the
 * fixtures mutated a few places deep (test/helpers/hostile-envelopes.ts). Cases:
 * HERALD_FUZZ_RUNS (test/helpers/fuzz-runs.ts).
 */

/** Whether `stored` (what JSON gives back) is `value` unchanged: no hole, no lost or changed value. */
function sameAsJson(value: unknown, stored: unknown): boolean {
  if (typeof value !== 'object' || value === null) return value === stored || (value === 0 && stored === 0);
  if (typeof stored !== 'object' || stored === null) return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(stored) || stored.length !== value.length) return false;
    for (let index = 0; index < value.length; index += 1) if (!(index in value) || !sameAsJson(value[index], stored[index])) return false;
    return true;
  }
  if (Array.isArray(stored)) return false;
  const present = Object.entries(value).filter(([, item]) => item !== undefined);
  if (present.length !== Object.keys(stored).length) return false;
  return present.every(([key, item]) => Object.hasOwn(stored, key) && sameAsJson(item, (stored as Record<string, unknown>)[key]));
}


type Field = { readonly path: readonly string[]; readonly accepts: (value: unknown) => boolean };

const isString = (value: unknown) => typeof value === 'string';
const isNonEmpty = (value: unknown) => typeof value === 'string' && value !== '';
const isCount = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isRecord = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fields distribution defines, with what each accepts. */
const KNOWN_FIELDS: readonly Field[] = [
  { path: ['id'], accepts: isNonEmpty },
  { path: ['action'], accepts: isNonEmpty },
  { path: ['timestamp'], accepts: isString },
  { path: ['target'], accepts: isRecord },
  { path: ['target', 'size'], accepts: isCount },
  { path: ['target', 'length'], accepts: isCount },
  ...['mediaType', 'digest', 'repository', 'url', 'tag', 'fromRepository'].map((key) => ({ path: ['target', key], accepts: isString })),
  ...['id', 'addr', 'host', 'method', 'useragent'].map((key) => ({ path: ['request', key], accepts: isString })),
  { path: ['actor', 'name'], accepts: isString },
  { path: ['source', 'addr'], accepts: isString },
  { path: ['source', 'instanceID'], accepts: isString },
  { path: ['request'], accepts: isRecord },
  { path: ['source'], accepts: isRecord },
];

const KNOWN_EVENT_KEYS = new Set(['id', 'timestamp', 'action', 'target', 'request', 'actor', 'source']);

describe('validateEnvelope (properties)', () => {
  it(
    'answers any value with a list of problems, never throws and never changes it',
    () => {
      fc.assert(
        fc.property(anyValue, (value) => {
          // fast-check's rendering shows holes, boxes, prototypes and bigints: a change shows.
          const before = fc.stringify(value);
          const problems = validateEnvelope(value);
          expect(Array.isArray(problems)).toBe(true);
          expect(problems.length).toBeLessThanOrEqual(MAX_LISTED_PROBLEMS + 1);
          for (const problem of problems) {
            expect(typeof problem.path).toBe('string');
            expect(typeof problem.reason).toBe('string');
          }
          expect(fc.stringify(value)).toBe(before);
          if (problems.length === 0) expect(parseEnvelope(value)).toBe(value);
          else expect(() => parseEnvelope(value)).toThrow(EnvelopeValidationError);
        }),
        fuzzParameters(0.12),
      );
    },
    fuzzTimeout(0.12, 2),
  );

  it(
    'accepts only envelopes whose events JSON stores unchanged',
    () => {
      fc.assert(
        fc.property(inProcessEnvelope(), (envelope) => {
          if (validateEnvelope(envelope).length > 0) return;
          const stored: unknown = JSON.parse(JSON.stringify(envelope.events));
          expect(sameAsJson(envelope.events, stored)).toBe(true);
        }),
        fuzzParameters(0.1),
      );
    },
    fuzzTimeout(0.1, 2),
  );

  it(
    'names the field when a known field of a real event has the wrong type',
    () => {
      const wrong = fc.tuple(wireEnvelope(2), fc.nat(), fc.constantFrom(...KNOWN_FIELDS), fc.jsonValue({ maxDepth: 2 }));
      fc.assert(
        fc.property(wrong, ([envelope, pick, field, value]) => {
          fc.pre(!field.accepts(value) && Array.isArray(envelope.events) && envelope.events.length > 0);
          const index = pick % envelope.events.length;
          const event = envelope.events[index];
          fc.pre(isRecord(event));
          let parent = event as Record<string, unknown>;
          for (const key of field.path.slice(0, -1)) {
            if (!isRecord(parent[key])) parent[key] = {};
            parent = parent[key] as Record<string, unknown>;
          }
          parent[field.path.at(-1)!] = value;
          const paths = validateEnvelope(envelope).map((problem) => problem.path);
          expect(paths).toContain(`events[${index}].${field.path.join('.')}`);
        }),
        fuzzParameters(0.08),
      );
    },
    fuzzTimeout(0.08, 2),
  );

  it(
    'keeps a real envelope valid, and stored unchanged, when unknown fields of JSON data are added',
    () => {
      const added = fc.tuple(
        fc.constantFrom(...FIXTURE_ENVELOPES),
        fc.array(fc.tuple(fc.nat(), fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 6 })), { minLength: 1, maxLength: 4 }),
      );
      fc.assert(
        fc.property(added, ([base, fields]) => {
          const envelope = structuredClone(base) as { events: Record<string, unknown>[] };
          for (const [pick, key, value] of fields) {
            if (KNOWN_EVENT_KEYS.has(key)) continue;
            Object.defineProperty(envelope.events[pick % envelope.events.length]!, key, { value, enumerable: true, writable: true, configurable: true });
          }
          expect(validateEnvelope(envelope)).toStrictEqual([]);
          expect(sameAsJson(envelope.events, JSON.parse(JSON.stringify(envelope.events)))).toBe(true);
        }),
        fuzzParameters(0.05),
      );
    },
    fuzzTimeout(0.05, 2),
  );
});
