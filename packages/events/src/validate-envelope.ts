import type { Envelope } from './envelope.js';
import { EnvelopeValidationError, type ValidationProblem } from './errors.js';
import type { Event } from './event.js';

/**
 * Validation of untrusted envelopes. It checks the type of every field distribution
 * defines and reports each problem with its JSON path; fields it does not know pass
 * through untouched. It never changes or copies the value it checks, so a valid
 * envelope re-serializes exactly as it came in.
 *
 * Only what delivery needs is required (`id`, `timestamp`, `action`, `target`):
 * being stricter than registries are would make a registry retry an envelope forever.
 */

/** At most this many problems are listed; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 100;

/**
 * Where a value sits: the root's name, or a key under a parent. Kept as a chain and
 * rendered as a JSON path only when a problem is reported, so that checking a valid
 * event builds no strings.
 */
type Path = string | { readonly parent: Path; readonly key: string | number };

class Problems {
  readonly list: ValidationProblem[] = [];
  count = 0;

  add(path: Path, reason: string): void {
    this.count += 1;
    if (this.list.length < MAX_LISTED_PROBLEMS) this.list.push({ path: render(path), reason });
  }

  result(): ValidationProblem[] {
    const unlisted = this.count - this.list.length;
    if (unlisted > 0) return [...this.list, { path: '$', reason: `has ${unlisted} more problems not listed` }];
    return this.list;
  }
}

type Check = (value: unknown, path: Path, problems: Problems) => void;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function child(path: Path, key: string | number): Path {
  return { parent: path, key };
}

/** The JSON path of a Path: `events[0].target.size`, `$["odd key"]`. */
function render(path: Path): string {
  return typeof path === 'string' ? path : childPath(render(path.parent), path.key);
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const prefix = path === '$' ? '' : path;
  if (IDENTIFIER.test(key)) return prefix === '' ? key : `${prefix}.${key}`;
  return `${prefix === '' ? '$' : prefix}[${JSON.stringify(key)}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

const string: Check = (value, path, problems) => {
  if (typeof value !== 'string') problems.add(path, `must be a string, not ${describe(value)}`);
};

const nonEmptyString: Check = (value, path, problems) => {
  if (typeof value !== 'string') problems.add(path, `must be a string, not ${describe(value)}`);
  else if (value.length === 0) problems.add(path, 'must not be empty');
};

const count: Check = (value, path, problems) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    problems.add(path, 'must be a non-negative integer');
  }
};

const timestamp: Check = (value, path, problems) => {
  const parts = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (parts === null) {
    problems.add(path, 'must be an RFC 3339 timestamp such as 2006-01-02T15:04:05.999999999Z');
    return;
  }
  const [month, day, hour, minute, second] = parts.slice(2, 7).map(Number) as number[];
  if (month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour! > 23 || minute! > 59 || second! > 60) {
    problems.add(path, 'must be an RFC 3339 timestamp with valid date and time fields');
  }
};

function listOf(item: Check): Check {
  return (value, path, problems) => {
    if (!Array.isArray(value)) {
      problems.add(path, `must be an array, not ${describe(value)}`);
      return;
    }
    // By index, not forEach: a hole must be checked (and refused), not skipped.
    for (let index = 0; index < value.length; index += 1) item(value[index], child(path, index), problems);
  };
}

function mapOf(item: Check): Check {
  return (value, path, problems) => {
    if (!isRecord(value)) {
      problems.add(path, `must be an object, not ${describe(value)}`);
      return;
    }
    for (const [key, element] of Object.entries(value)) item(element, child(path, key), problems);
  };
}

/** Checks the known fields of an object; `required` ones must be present, others may be absent. */
function record(fields: Record<string, Check>, required: readonly string[] = []): Check {
  const checks = Object.entries(fields);
  return (value, path, problems) => {
    if (!isRecord(value)) {
      problems.add(path, `must be an object, not ${describe(value)}`);
      return;
    }
    for (const key of required) {
      if (!Object.hasOwn(value, key)) problems.add(child(path, key), 'is required');
    }
    for (const [key, check] of checks) {
      if (Object.hasOwn(value, key)) check(value[key], child(path, key), problems);
    }
  };
}

const platform = record({
  architecture: string,
  os: string,
  'os.version': string,
  'os.features': listOf(string),
  variant: string,
  features: listOf(string),
});

const descriptorFields = {
  mediaType: string,
  size: count,
  digest: string,
  urls: listOf(string),
  annotations: mapOf(string),
  artifactType: string,
  platform,
};

const target = record({
  ...descriptorFields,
  length: count,
  repository: string,
  fromRepository: string,
  url: string,
  tag: string,
  references: listOf(record(descriptorFields)),
});

const event = record(
  {
    id: nonEmptyString,
    timestamp,
    action: nonEmptyString,
    target,
    request: record({ id: string, addr: string, host: string, method: string, useragent: string }),
    actor: record({ name: string }),
    source: record({ addr: string, instanceID: string }),
  },
  ['id', 'timestamp', 'action', 'target'],
);

/**
 * Deepest nesting accepted inside an event, unknown fields included. Registries nest a
 * few levels; a value nested thousands deep cannot even be serialized again (stack
 * overflow), so it is refused here, by path, instead of failing later as a Redis error.
 */
export const MAX_EVENT_DEPTH = 32;

/**
 * Why a value inside an event is not plain JSON data, or undefined when it is. Events are
 * stored and sent as JSON: a value that JSON would drop, change or refuse (a bigint, a
 * function, Infinity, a Date or a boxed String) would make the stored event differ from
 * the one accepted, or make the write fail after validation said yes.
 */
function notJson(value: unknown, inArray: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : 'must be a finite number';
    case 'undefined':
      // An undefined property is absent in JSON, as the caller meant; in a list it would become null.
      return inArray ? 'must be a JSON value, not a hole or undefined' : undefined;
    case 'object': {
      if (value === null) return undefined;
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype === null || prototype === Object.prototype || prototype === Array.prototype) return undefined;
      const kind = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
      return `must be plain JSON data, not ${typeof kind === 'string' && kind !== '' ? `a ${kind} object` : 'an object of a class'}`;
    }
    default:
      return `must be a JSON value, not a ${typeof value}`;
  }
}

/**
 * Reports the first place where `value` nests deeper than MAX_EVENT_DEPTH, and every value
 * that is not plain JSON data (notJson); walks without recursion.
 */
function checkJsonData(value: unknown, path: Path, problems: Problems): void {
  const stack: [unknown, Path, number, boolean][] = [[value, path, 0, false]];
  while (stack.length > 0) {
    const [node, at, depth, inArray] = stack.pop()!;
    const problem = notJson(node, inArray);
    if (problem !== undefined) {
      problems.add(at, problem);
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= MAX_EVENT_DEPTH) {
      problems.add(at, `must not nest deeper than ${MAX_EVENT_DEPTH} levels`);
      return;
    }
    if (Array.isArray(node)) for (let index = 0; index < node.length; index += 1) stack.push([node[index], child(at, index), depth + 1, true]);
    else for (const [key, item] of Object.entries(node)) stack.push([item, child(at, key), depth + 1, false]);
  }
}

function checkEventList(value: unknown, path: Path, problems: Problems): void {
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array of events, not ${describe(value)}`);
  } else if (value.length === 0) {
    problems.add(path, 'must contain at least one event');
  } else {
    // By index, not forEach: a hole is an event that is not an object, not one to skip.
    for (let index = 0; index < value.length; index += 1) {
      checkJsonData(value[index], child(path, index), problems);
      event(value[index], child(path, index), problems);
    }
  }
}

/** Lists every problem of an untrusted envelope; an empty list means it is valid. */
export function validateEnvelope(value: unknown): ValidationProblem[] {
  const problems = new Problems();
  if (!isRecord(value)) {
    problems.add('$', `must be an object with an "events" array, not ${describe(value)}`);
  } else if (!Object.hasOwn(value, 'events')) {
    problems.add('events', 'is required');
  } else {
    checkEventList(value['events'], 'events', problems);
  }
  return problems.result();
}

/** Lists every problem of events about to be written; paths read `events[i]...`. */
export function validateEvents(events: readonly unknown[]): ValidationProblem[] {
  const problems = new Problems();
  checkEventList(events, 'events', problems);
  return problems.result();
}

/** Returns the value typed as an Envelope, or throws EnvelopeValidationError listing every problem. */
export function parseEnvelope(value: unknown): Envelope {
  const problems = validateEnvelope(value);
  if (problems.length > 0) throw new EnvelopeValidationError(problems);
  return value as Envelope;
}

/** Returns the events typed, or throws EnvelopeValidationError listing every problem. */
export function parseEvents(events: readonly unknown[]): Event[] {
  const problems = validateEvents(events);
  if (problems.length > 0) throw new EnvelopeValidationError(problems);
  return events as Event[];
}
