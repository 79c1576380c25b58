import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvelopeValidationError } from './errors.js';
import {
  MAX_EVENT_DEPTH,
  MAX_LISTED_PROBLEMS,
  parseEnvelope,
  parseEvents,
  validateEnvelope,
  validateEvents,
} from './validate-envelope.js';

const fixture = (name: string) => new URL(`../test/fixtures/${name}`, import.meta.url);

const captured: { step: string; body: unknown }[] = readFileSync(fixture('distribution-2.8.2.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));

function validEvent(): Record<string, unknown> {
  return {
    id: 'e1',
    timestamp: '2026-11-28T02:15:00.146778322Z',
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, repository: 'a/b' },
  };
}

function pathsOf(value: unknown): string[] {
  return validateEnvelope(value).map((problem) => problem.path);
}

describe('validateEnvelope', () => {
  it('has captured envelopes to check', () => {
    expect(captured.length).toBeGreaterThanOrEqual(10);
    expect(new Set(captured.map((request) => request.step)).size).toBeGreaterThan(3);
  });

  it.each(captured.map((request, index) => [index, request.step, request.body] as const))(
    'accepts captured envelope %i (%s) and re-serializes it unchanged',
    (_index, _step, body) => {
      const raw = JSON.stringify(body);
      const envelope = parseEnvelope(JSON.parse(raw));
      expect(JSON.parse(JSON.stringify(envelope))).toStrictEqual(body);
      expect(JSON.stringify(envelope)).toBe(raw);
    },
  );

  it('passes GitLab fields through untouched', () => {
    const raw = readFileSync(fixture('gitlab.json'), 'utf8');
    const envelope = parseEnvelope(JSON.parse(raw));
    expect(JSON.parse(JSON.stringify(envelope))).toStrictEqual(JSON.parse(raw));
    expect(envelope.events[1]?.action).toBe('rename');
    expect(envelope.events[0]?.actor?.['user_type']).toBe('personal_access_token');
    expect(envelope.events[0]?.['meta']).toStrictEqual({ project_id: 42, namespace_id: 7, project_path: 'group/project' });
    expect(envelope.events[1]?.target['rename']).toStrictEqual({ from: 'project', to: 'project-renamed', type: 'project' });
  });

  it('passes unknown top-level envelope fields through', () => {
    const body = { events: [validEvent()], extra: { nested: [1, 2] } };
    expect(parseEnvelope(body)).toBe(body);
  });

  it.each([
    ['a string', 'hello', '$'],
    ['null', null, '$'],
    ['an array', [validEvent()], '$'],
    ['no events', {}, 'events'],
    ['events not an array', { events: {} }, 'events'],
    ['no event', { events: [] }, 'events'],
    ['an event that is not an object', { events: [42] }, 'events[0]'],
  ])('rejects %s at %s', (_name, body, path) => {
    expect(pathsOf(body)).toStrictEqual([path]);
  });

  it.each([
    ['id', { id: undefined }, 'events[0].id', 'is required'],
    ['empty id', { id: '' }, 'events[0].id', 'must not be empty'],
    ['numeric id', { id: 7 }, 'events[0].id', 'must be a string, not a number'],
    ['timestamp', { timestamp: undefined }, 'events[0].timestamp', 'is required'],
    ['unix timestamp', { timestamp: 1764296100 }, 'events[0].timestamp', 'must be an RFC 3339 timestamp'],
    ['timestamp without zone', { timestamp: '2026-11-28T02:15:00' }, 'events[0].timestamp', 'must be an RFC 3339'],
    ['month 13', { timestamp: '2026-13-28T02:15:00Z' }, 'events[0].timestamp', 'valid date and time'],
    ['action', { action: undefined }, 'events[0].action', 'is required'],
    ['target', { target: undefined }, 'events[0].target', 'is required'],
    ['target as string', { target: 'a/b' }, 'events[0].target', 'must be an object, not a string'],
    ['negative size', { target: { size: -1 } }, 'events[0].target.size', 'non-negative integer'],
    ['fractional length', { target: { length: 1.5 } }, 'events[0].target.length', 'non-negative integer'],
    ['size as string', { target: { size: '10' } }, 'events[0].target.size', 'non-negative integer'],
    ['repository as number', { target: { repository: 1 } }, 'events[0].target.repository', 'must be a string'],
    ['references not a list', { target: { references: {} } }, 'events[0].target.references', 'must be an array'],
    ['bad reference', { target: { references: [{ digest: 5 }] } }, 'events[0].target.references[0].digest', 'must be a string'],
    ['annotation value', { target: { annotations: { a: 1 } } }, 'events[0].target.annotations.a', 'must be a string'],
    ['dotted platform key', { target: { platform: { 'os.version': 10 } } }, 'events[0].target.platform["os.version"]', 'must be a string'],
    ['urls', { target: { urls: [1] } }, 'events[0].target.urls[0]', 'must be a string'],
    ['request as list', { request: [] }, 'events[0].request', 'must be an object, not an array'],
    ['request method', { request: { method: 1 } }, 'events[0].request.method', 'must be a string'],
    ['actor name', { actor: { name: null } }, 'events[0].actor.name', 'must be a string, not null'],
    ['source instanceID', { source: { instanceID: false } }, 'events[0].source.instanceID', 'must be a string'],
  ])('names the field of a bad %s', (_name, change, path, reason) => {
    const event = { ...validEvent(), ...change };
    for (const [key, value] of Object.entries(change)) if (value === undefined) delete event[key];
    const problems = validateEnvelope({ events: [event] });
    expect(problems.map((problem) => problem.path)).toStrictEqual([path]);
    expect(problems[0]?.reason).toContain(reason);
  });

  it('reports every problem, not just the first', () => {
    const body = {
      events: [
        validEvent(),
        { ...validEvent(), id: 3, target: { size: 'big', tag: [] } },
        { timestamp: 'yesterday', action: 'push', target: {} },
      ],
    };
    expect(pathsOf(body)).toStrictEqual([
      'events[1].id',
      'events[1].target.size',
      'events[1].target.tag',
      'events[2].id',
      'events[2].timestamp',
    ]);
  });

  it('lists at most MAX_LISTED_PROBLEMS problems and counts the rest', () => {
    const events = Array.from({ length: MAX_LISTED_PROBLEMS + 5 }, () => ({}));
    const problems = validateEnvelope({ events });
    expect(problems).toHaveLength(MAX_LISTED_PROBLEMS + 1);
    expect(problems.at(-1)).toStrictEqual({
      path: '$',
      reason: `has ${(MAX_LISTED_PROBLEMS + 5) * 4 - MAX_LISTED_PROBLEMS} more problems not listed`,
    });
  });

  it('refuses an event nested deeper than MAX_EVENT_DEPTH, naming where, without overflowing', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let n = 0; n < 10_000; n += 1) deep = (deep['x'] = {}) as Record<string, unknown>;
    const problems = validateEnvelope({ events: [{ ...validEvent(), meta: root }] });
    expect(problems).toStrictEqual([{ path: `events[0].meta${'.x'.repeat(MAX_EVENT_DEPTH - 1)}`, reason: `must not nest deeper than ${MAX_EVENT_DEPTH} levels` }]);
    const shallow = { ...validEvent(), meta: { a: [{ b: { c: 1 } }] } };
    expect(validateEnvelope({ events: [shallow] })).toStrictEqual([]);
  });

  it.each([
    // Found by validate-envelope.property.test.ts: each was accepted, then failed or changed when stored as JSON.
    ['a hole in the events list', () => ({ events: [validEvent(), , validEvent()] }), 'events[1]', 'must be an object'],
    ['a hole in a list of strings', () => ({ events: [{ ...validEvent(), target: { urls: ['a', , 'b'] } }] }), 'events[0].target.urls[1]', 'must be a string'],
    ['a hole in an unknown list', () => ({ events: [{ ...validEvent(), meta: [1, , 2] }] }), 'events[0].meta[1]', 'hole'],
    ['a bigint', () => ({ events: [{ ...validEvent(), meta: { n: 10n } }] }), 'events[0].meta.n', 'not a bigint'],
    ['Infinity', () => ({ events: [{ ...validEvent(), meta: Number.POSITIVE_INFINITY }] }), 'events[0].meta', 'finite number'],
    ['NaN', () => ({ events: [{ ...validEvent(), meta: [Number.NaN] }] }), 'events[0].meta[0]', 'finite number'],
    ['a boxed string as target', () => ({ events: [{ ...validEvent(), target: Object('a/b') }] }), 'events[0].target', 'not a String object'],
    ['a boxed number', () => ({ events: [{ ...validEvent(), meta: Object(1) }] }), 'events[0].meta', 'not a Number object'],
    ['a Date', () => ({ events: [{ ...validEvent(), actor: new Date(0) }] }), 'events[0].actor', 'not a Date object'],
    ['a Map', () => ({ events: [{ ...validEvent(), meta: new Map([['a', 1]]) }] }), 'events[0].meta', 'not a Map object'],
    ['a function', () => ({ events: [{ ...validEvent(), meta: () => 1 }] }), 'events[0].meta', 'not a function'],
    ['a symbol', () => ({ events: [{ ...validEvent(), meta: Symbol('x') }] }), 'events[0].meta', 'not a symbol'],
    ['an inherited prototype', () => ({ events: [Object.assign(Object.create({ source: {} }), validEvent())] }), 'events[0]', 'plain JSON data'],
  ])('refuses %s, which JSON would drop or change, naming where', (_name, make, path, reason) => {
    const problems = validateEnvelope(make());
    const reasons = problems.filter((problem) => problem.path === path).map((problem) => problem.reason);
    expect(reasons.join('; ')).toContain(reason);
  });

  it('accepts undefined properties (absent in JSON) and null-prototype objects', () => {
    const meta = Object.assign(Object.create(null) as object, { a: 1 });
    expect(validateEnvelope({ events: [{ ...validEvent(), meta, extra: undefined }] })).toStrictEqual([]);
  });

  it('does not modify what it checks', () => {
    const body = { events: [{ ...validEvent(), target: { size: 'x' } }] };
    const before = JSON.stringify(body);
    validateEnvelope(body);
    expect(JSON.stringify(body)).toBe(before);
  });
});

describe('parseEnvelope', () => {
  it('throws EnvelopeValidationError with every problem and the first field', () => {
    try {
      parseEnvelope({ events: [{ id: '', timestamp: 'x', action: 'push', target: {} }] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EnvelopeValidationError);
      const invalid = error as EnvelopeValidationError;
      expect(invalid.name).toBe('EnvelopeValidationError');
      expect(invalid.code).toBe('HERALD_ERR_INVALID_ENVELOPE');
      expect(invalid.field).toBe('events[0].id');
      expect(invalid.problems.map((problem) => problem.path)).toStrictEqual(['events[0].id', 'events[0].timestamp']);
      expect(invalid.message).toBe('invalid envelope: events[0].id must not be empty (and 1 more)');
    }
  });
});

describe('validateEvents', () => {
  it('checks events given as a list', () => {
    expect(validateEvents([validEvent()])).toStrictEqual([]);
    expect(validateEvents([validEvent(), { ...validEvent(), action: 5 }]).map((p) => p.path)).toStrictEqual([
      'events[1].action',
    ]);
    expect(validateEvents([]).map((p) => p.path)).toStrictEqual(['events']);
  });

  it('parseEvents returns the same events or throws', () => {
    const events = [validEvent()];
    expect(parseEvents(events)).toBe(events);
    expect(() => parseEvents([{}])).toThrow(EnvelopeValidationError);
  });
});
