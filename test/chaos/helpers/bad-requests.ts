import type { Event } from '@herald/events';
import { httpRequest, type RawEnding } from './raw-http.js';
import { typicalEvent } from './typical-event.js';

/** A small seeded PRNG (mulberry32): the same seed makes the same requests. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One malformed request: its bytes, how the client ends, what must come back. */
export interface BadRequest {
  readonly category: string;
  /** What is wrong, for the figures and for reproducing a failure. */
  readonly name: string;
  readonly bytes: Buffer;
  readonly ending: RawEnding;
  /** `answer`: a 4xx must come back; `none`: the client closes first, so no answer can come. */
  readonly expect: 'answer' | 'none';
  /** The one status the documented answers give, when there is one. */
  readonly status?: number;
  /** A JSON path the 400's `problems` must name. */
  readonly problemPath?: string;
  /** Event ids inside the request: none of them may ever be delivered. */
  readonly eventIds: string[];
}

export const V1 = 'application/vnd.docker.distribution.events.v1+json';

/** Context of the generators: the token, the body limit, a PRNG and a way to make unique ids. */
export interface Generation {
  readonly token: string;
  readonly maxBodyBytes: number;
  readonly random: () => number;
  readonly id: () => string;
}

type Generator = (g: Generation) => Omit<BadRequest, 'category'>;

function pick<T>(g: Generation, items: readonly T[]): T {
  return items[Math.floor(g.random() * items.length)]!;
}

function headers(g: Generation, extra: Record<string, string> = {}): Record<string, string> {
  return { 'Content-Type': V1, Authorization: `Bearer ${g.token}`, ...extra };
}

function events(g: Generation, count: number): Event[] {
  return Array.from({ length: count }, (_, n) => typicalEvent(g.id(), n));
}

function post(g: Generation, body: string | Buffer, extra: Record<string, string> = {}) {
  return httpRequest({ headers: headers(g, extra), body });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** The JSON path Herald's validator names: `events[0].target["os.features"]`. */
export function jsonPath(parts: readonly (string | number)[]): string {
  let path = '';
  for (const part of parts) {
    if (typeof part === 'number') path += `[${part}]`;
    else if (IDENTIFIER.test(part)) path += path === '' ? part : `.${part}`;
    else path += `${path === '' ? '$' : ''}[${JSON.stringify(part)}]`;
  }
  return path;
}

function setAt(root: Record<string, unknown>, parts: readonly (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (let index = 0; index < parts.length - 1; index += 1) {
    const part = parts[index]!;
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = typeof parts[index + 1] === 'number' ? [] : {};
    node = node[part] as Record<string | number, unknown>;
  }
  node[parts.at(-1)!] = value;
}

function deleteAt(root: Record<string, unknown>, parts: readonly (string | number)[]): void {
  let node = root as Record<string | number, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  delete node[parts.at(-1)!];
}

/** A random JSON value, at most `depth` levels deep. */
export function randomJson(g: Generation, depth = 4): unknown {
  const r = g.random();
  if (depth <= 0 || r < 0.35) {
    return pick(g, [
      null,
      true,
      false,
      0,
      -1,
      Math.floor(g.random() * 1e9),
      g.random() * 1e6,
      -1e308,
      1e308,
      '',
      'push',
      '2006-01-02T15:04:05Z',
      '\u0000\u001f\u2028\ud7ff',
      String.fromCharCode(...Array.from({ length: 12 }, () => 32 + Math.floor(g.random() * 0x2000))),
    ]);
  }
  if (r < 0.6) return Array.from({ length: Math.floor(g.random() * 4) }, () => randomJson(g, depth - 1));
  const object: Record<string, unknown> = {};
  const keys = ['events', 'id', 'target', 'action', 'timestamp', 'x', '__proto__', 'constructor', '', '\u00e9'];
  for (let n = Math.floor(g.random() * 4); n > 0; n -= 1) object[pick(g, keys)] = randomJson(g, depth - 1);
  return object;
}

/** Known fields of an event and values of a wrong type for each (the validator's rules). */
const WRONG_TYPES: { path: (string | number)[]; values: unknown[] }[] = [
  { path: ['id'], values: [7, null, true, {}, [], ''] },
  { path: ['timestamp'], values: [1_700_000_000, 'now', '2026-13-01T00:00:00Z', '2026-01-01 00:00:00', null, {}] },
  { path: ['action'], values: [1, '', null, ['push'], {}] },
  { path: ['target'], values: ['manifest', 3, null, [], true] },
  { path: ['target', 'mediaType'], values: [1, {}, [], false, null] },
  { path: ['target', 'size'], values: ['1', -1, 1.5, null, 2 ** 60, {}] },
  { path: ['target', 'length'], values: ['7143', -7143, 0.1, [], true] },
  { path: ['target', 'digest'], values: [1, {}, [], null] },
  { path: ['target', 'repository'], values: [0, {}, ['a'], false] },
  { path: ['target', 'fromRepository'], values: [1, {}, null] },
  { path: ['target', 'url'], values: [1, {}, []] },
  { path: ['target', 'tag'], values: [1.1, {}, [], true] },
  { path: ['target', 'urls'], values: ['https://x', {}, 3] },
  { path: ['target', 'urls', 0], values: [1, null, {}] },
  { path: ['target', 'annotations'], values: ['a=b', [], 1] },
  { path: ['target', 'annotations', 'org.opencontainers.image.created'], values: [1, null, {}, []] },
  { path: ['target', 'artifactType'], values: [1, {}] },
  { path: ['target', 'platform'], values: ['linux/amd64', 1, []] },
  { path: ['target', 'platform', 'architecture'], values: [64, null] },
  { path: ['target', 'platform', 'os.features'], values: ['x', 1] },
  { path: ['target', 'references'], values: [{}, 'sha256:aa', 1] },
  { path: ['target', 'references', 0], values: ['sha256:aa', 1, null] },
  { path: ['target', 'references', 0, 'size'], values: ['1', -5] },
  { path: ['request'], values: ['r', 1, []] },
  { path: ['request', 'id'], values: [1, {}] },
  { path: ['request', 'addr'], values: [[], 1] },
  { path: ['request', 'host'], values: [{}, false] },
  { path: ['request', 'method'], values: [1, null] },
  { path: ['request', 'useragent'], values: [false, []] },
  { path: ['actor'], values: ['admin', 1, []] },
  { path: ['actor', 'name'], values: [1, {}, null] },
  { path: ['source'], values: [1, 'registry', []] },
  { path: ['source', 'addr'], values: [1, []] },
  { path: ['source', 'instanceID'], values: [[], 1] },
];

const wrongType: Generator = (g) => {
  const list = events(g, 1 + Math.floor(g.random() * 3));
  const index = Math.floor(g.random() * list.length);
  const field = pick(g, WRONG_TYPES);
  const value = pick(g, field.values);
  const envelope = { events: list } as unknown as Record<string, unknown>;
  setAt(envelope, ['events', index, ...field.path], value);
  return {
    name: `${jsonPath(field.path)} = ${JSON.stringify(value)}`,
    bytes: post(g, JSON.stringify(envelope)),
    ending: 'keep-open',
    expect: 'answer',
    status: 400,
    problemPath: jsonPath(['events', index, ...field.path]),
    eventIds: list.map((e) => e.id),
  };
};

const wrongEnvelope: Generator = (g) => {
  const value = pick(g, [{}, 'events', 1, null, { events: {} }, { events: 'x' }, { events: [] }, { events: [1] }, { events: [null] }, { events: [[]] }]);
  return { name: `envelope ${JSON.stringify(value)}`, bytes: post(g, JSON.stringify(value)), ending: 'keep-open', expect: 'answer', status: 400, eventIds: [] };
};

const REQUIRED = ['id', 'timestamp', 'action', 'target'];
const missingRequired: Generator = (g) => {
  const list = events(g, 1 + Math.floor(g.random() * 3));
  const index = Math.floor(g.random() * list.length);
  const field = pick(g, REQUIRED);
  const envelope = { events: list } as unknown as Record<string, unknown>;
  deleteAt(envelope, ['events', index, field]);
  return {
    name: `no ${field}`,
    bytes: post(g, JSON.stringify(envelope)),
    ending: 'keep-open',
    expect: 'answer',
    status: 400,
    problemPath: jsonPath(['events', index, field]),
    eventIds: list.map((e) => e.id),
  };
};

const missingEvents: Generator = (g) => {
  const body = pick(g, ['{}', '{"event":[]}', '{"Events":[]}', '{"data":{"events":[]}}']);
  return { name: `envelope ${body}`, bytes: post(g, body), ending: 'keep-open', expect: 'answer', status: 400, problemPath: body === '{}' || !body.includes('"events"') ? 'events' : undefined, eventIds: [] };
};

const randomJsonBody: Generator = (g) => {
  const value = randomJson(g);
  const body = JSON.stringify(value) ?? 'null';
  return { name: `random ${body.slice(0, 60)}`, bytes: post(g, body), ending: 'keep-open', expect: 'answer', status: 400, eventIds: [] };
};

/** A huge string in a field that must be a number, sized so the body is just under, at, or just over the limit. */
const hugeString: Generator = (g) => {
  const [event] = events(g, 1);
  const shape = JSON.stringify({ events: [{ ...event, target: { ...event!.target, size: '' } }] });
  const room = g.maxBodyBytes - Buffer.byteLength(shape);
  const where = pick(g, ['under', 'at', 'over', 'far-over'] as const);
  const extra = { under: -1 - Math.floor(g.random() * 100), at: 0, over: 1 + Math.floor(g.random() * 100), 'far-over': 1 + g.maxBodyBytes } as const;
  const body = shape.replace('"size":""', `"size":"${'9'.repeat(room + extra[where])}"`);
  const status = Buffer.byteLength(body) > g.maxBodyBytes ? 413 : 400;
  return { name: `target.size string, body ${where} the limit (${Buffer.byteLength(body)} bytes)`, bytes: post(g, body), ending: 'keep-open', expect: 'answer', status, eventIds: [event!.id] };
};

const hugeNotJson: Generator = (g) => {
  const size = g.maxBodyBytes - Math.floor(g.random() * 64);
  return { name: `${size} bytes of "a"`, bytes: post(g, 'a'.repeat(size)), ending: 'keep-open', expect: 'answer', status: 400, eventIds: [] };
};

const DEPTH = 10_000;
function nested(open: string, close: string, inner = ''): string {
  return open.repeat(DEPTH) + inner + close.repeat(DEPTH);
}

const deepNesting: Generator = (g) => {
  const [event] = events(g, 1);
  const where = pick(g, ['top-level array', 'events', 'events[0]', 'target.references', 'target.annotations', 'actor.name', 'unknown field of an event'] as const);
  const placeholder = '"__DEEP__"';
  let shape: unknown;
  let deep = nested('[', ']');
  switch (where) {
    case 'top-level array':
      shape = '__DEEP__';
      break;
    case 'events':
      shape = { events: '__DEEP__' };
      break;
    case 'events[0]':
      shape = { events: ['__DEEP__'] };
      break;
    case 'target.references':
      shape = { events: [{ ...event, target: { ...event!.target, references: '__DEEP__' } }] };
      break;
    case 'target.annotations':
      shape = { events: [{ ...event, target: { ...event!.target, annotations: '__DEEP__' } }] };
      deep = nested('{"a":', '}', '1');
      break;
    case 'actor.name':
      shape = { events: [{ ...event, actor: { name: '__DEEP__' } }] };
      deep = nested('{"n":', '}', '"x"');
      break;
    case 'unknown field of an event':
      shape = { events: [{ ...event, extra: '__DEEP__' }] };
      break;
  }
  const body = JSON.stringify(shape).replace(placeholder, deep);
  return { name: `${DEPTH} levels in ${where}`, bytes: post(g, body), ending: 'keep-open', expect: 'answer', eventIds: [event!.id] };
};

/** Invalid UTF-8 byte sequences, placed inside a string of an otherwise valid envelope. */
const INVALID_UTF8: { name: string; bytes: number[] }[] = [
  { name: 'byte 0xff', bytes: [0xff] },
  { name: 'byte 0xfe', bytes: [0xfe] },
  { name: 'lone continuation 0x80', bytes: [0x80] },
  { name: 'overlong "/" c0 af', bytes: [0xc0, 0xaf] },
  { name: 'overlong NUL e0 80 80', bytes: [0xe0, 0x80, 0x80] },
  { name: 'UTF-16 surrogate ed a0 80', bytes: [0xed, 0xa0, 0x80] },
  { name: 'beyond U+10FFFF f4 90 80 80', bytes: [0xf4, 0x90, 0x80, 0x80] },
  { name: 'five-byte f8 88 80 80 80', bytes: [0xf8, 0x88, 0x80, 0x80, 0x80] },
  { name: 'truncated e2 82', bytes: [0xe2, 0x82] },
  { name: 'latin-1 é', bytes: [0xe9] },
];

const invalidUtf8: Generator = (g) => {
  const [event] = events(g, 1);
  const sequence = pick(g, INVALID_UTF8);
  const field = pick(g, ['id', 'repository', 'tag', 'actor'] as const);
  const json = JSON.stringify({ events: [{ ...event, actor: { name: 'MARK' } }] });
  const marker = field === 'id' ? event!.id : field === 'repository' ? event!.target.repository! : field === 'tag' ? event!.target.tag! : 'MARK';
  const at = json.indexOf(marker) + Math.floor(marker.length / 2);
  const body = Buffer.concat([Buffer.from(json.slice(0, at), 'utf8'), Buffer.from(sequence.bytes), Buffer.from(json.slice(at), 'utf8')]);
  return { name: `${sequence.name} in ${field}`, bytes: post(g, body), ending: 'keep-open', expect: 'answer', status: 400, eventIds: [event!.id] };
};

/** A valid envelope cut short, with a Content-Length for all of it; then the client closes (FIN, or a full close). */
const truncated: Generator = (g) => {
  const list = events(g, 1 + Math.floor(g.random() * 2));
  const body = Buffer.from(JSON.stringify({ events: list }), 'utf8');
  const cut = Math.floor(g.random() * body.length);
  const full = g.random() < 0.2;
  return {
    name: `${cut} of ${body.length} bytes, then ${full ? 'closed' : 'half-closed (FIN)'}`,
    bytes: httpRequest({ headers: headers(g), body: body.subarray(0, cut), contentLength: body.length }),
    ending: full ? 'destroy' : 'half-close',
    expect: full ? 'none' : 'answer',
    eventIds: list.map((e) => e.id),
  };
};

const CONTENT_TYPES = [
  'text/plain',
  'text/json',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/jsonx',
  'application/vnd.docker.distribution.events.v3+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'json',
  'text/html; charset=utf-8',
];

/** A valid envelope, with a content type Herald does not take (or none): it must not be stored. */
const wrongContentType: Generator = (g) => {
  const list = events(g, 1);
  const type = pick(g, [...CONTENT_TYPES, 'none']);
  const base = { Authorization: `Bearer ${g.token}`, ...(type === 'none' ? {} : { 'Content-Type': type }) };
  return {
    name: type === 'none' ? 'no Content-Type' : type,
    bytes: httpRequest({ headers: base, body: JSON.stringify({ events: list }) }),
    ending: 'keep-open',
    expect: 'answer',
    status: 415,
    eventIds: list.map((e) => e.id),
  };
};

/** Bodies over the limit: real ones (by Content-Length or chunked), and a Content-Length that only claims it. */
const oversized: Generator = (g) => {
  const kind = pick(g, ['content-length', 'chunked', 'claimed'] as const);
  const size = g.maxBodyBytes + 1 + Math.floor(g.random() * 3 * g.maxBodyBytes);
  const [event] = events(g, 1);
  const body = JSON.stringify({ events: [{ ...event, pad: 'p'.repeat(Math.max(0, size - 1500)) }] });
  if (kind === 'chunked') {
    const chunks: Buffer[] = [];
    for (let at = 0; at < body.length; at += 65_536) {
      const piece = body.slice(at, at + 65_536);
      chunks.push(Buffer.from(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`));
    }
    chunks.push(Buffer.from('0\r\n\r\n'));
    const head = httpRequest({ headers: { ...headers(g), 'Transfer-Encoding': 'chunked' }, contentLength: 'omit' });
    return { name: `${Buffer.byteLength(body)} bytes chunked`, bytes: Buffer.concat([head, ...chunks]), ending: 'keep-open', expect: 'answer', status: 413, eventIds: [event!.id] };
  }
  if (kind === 'claimed') {
    return { name: 'Content-Length: 10 GB, 100 bytes sent', bytes: httpRequest({ headers: headers(g), body: body.slice(0, 100), contentLength: 10 * 1024 ** 3 }), ending: 'keep-open', expect: 'answer', status: 413, eventIds: [event!.id] };
  }
  return { name: `${Buffer.byteLength(body)} bytes`, bytes: post(g, body), ending: 'keep-open', expect: 'answer', status: 413, eventIds: [event!.id] };
};

/** A valid envelope with a missing or wrong token: 401, and not stored. */
const badToken: Generator = (g) => {
  const list = events(g, 1);
  const authorization = pick(g, [
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Bearer wrong-token',
    `Bearer ${g.token}x`,
    `Bearer ${g.token.slice(0, -1)}`,
    `Basic ${Buffer.from(`user:${g.token}`).toString('base64')}`,
    `Token ${g.token}`,
    g.token,
    `Bearer ${'t'.repeat(8000)}`,
    `Bearer ${g.token.toUpperCase()}`,
    `Bearer\t`,
  ]);
  const base: Record<string, string> = { 'Content-Type': V1 };
  if (authorization !== undefined) base['Authorization'] = authorization;
  return {
    name: authorization === undefined ? 'no Authorization' : `Authorization: ${JSON.stringify(authorization.slice(0, 40))}`,
    bytes: httpRequest({ headers: base, body: JSON.stringify({ events: list }) }),
    ending: 'keep-open',
    expect: 'answer',
    status: 401,
    eventIds: list.map((e) => e.id),
  };
};

const emptyBody: Generator = (g) => {
  const kind = pick(g, ['Content-Length: 0', 'whitespace', 'newline', 'chunked, no chunks', 'BOM only'] as const);
  let bytes: Buffer;
  switch (kind) {
    case 'Content-Length: 0':
      bytes = post(g, '');
      break;
    case 'whitespace':
      bytes = post(g, ' \t \r\n ');
      break;
    case 'newline':
      bytes = post(g, '\n');
      break;
    case 'BOM only':
      bytes = post(g, Buffer.from([0xef, 0xbb, 0xbf]));
      break;
    case 'chunked, no chunks':
      bytes = Buffer.concat([httpRequest({ headers: { ...headers(g), 'Transfer-Encoding': 'chunked' }, contentLength: 'omit' }), Buffer.from('0\r\n\r\n')]);
      break;
  }
  return { name: kind, bytes, ending: 'keep-open', expect: 'answer', status: 400, eventIds: [] };
};

/** Requests that are not valid HTTP/1.1 at all. */
const httpGarbage: Generator = (g) => {
  const valid = JSON.stringify({ events: events(g, 1) });
  const auth = `Authorization: Bearer ${g.token}\r\nContent-Type: ${V1}\r\n`;
  const kind = pick(g, ['random bytes', 'no request line', 'header without colon', 'Content-Length and chunked', 'negative Content-Length', 'Content-Length not a number', 'two Content-Lengths', 'bad chunk size', 'NUL in header', 'HTTP/9.9'] as const);
  const raw: Record<typeof kind, () => Buffer> = {
    'random bytes': () => Buffer.from(Array.from({ length: 64 + Math.floor(g.random() * 512) }, () => Math.floor(g.random() * 256))),
    'no request line': () => Buffer.from(`${auth}Content-Length: 2\r\n\r\n{}`),
    'header without colon': () => Buffer.from(`POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}Broken header\r\nContent-Length: ${valid.length}\r\n\r\n${valid}`),
    'Content-Length and chunked': () => Buffer.from(`POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}Content-Length: ${valid.length}\r\nTransfer-Encoding: chunked\r\n\r\n${valid}`),
    'negative Content-Length': () => Buffer.from(`POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}Content-Length: -5\r\n\r\n${valid}`),
    'Content-Length not a number': () => Buffer.from(`POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}Content-Length: 12abc\r\n\r\n${valid}`),
    'two Content-Lengths': () => Buffer.from(`POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}Content-Length: ${valid.length}\r\nContent-Length: 3\r\n\r\n${valid}`),
    'bad chunk size': () => Buffer.from(`POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\n${valid}\r\n0\r\n\r\n`),
    'NUL in header': () => Buffer.from(`POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}X-Bad: a\u0000b\r\nContent-Length: ${valid.length}\r\n\r\n${valid}`, 'latin1'),
    'HTTP/9.9': () => Buffer.from(`POST /events HTTP/9.9\r\nHost: x\r\nConnection: close\r\n${auth}Content-Length: ${valid.length}\r\n\r\n${valid}`),
  };
  const ids = (JSON.parse(valid) as { events: Event[] }).events.map((e) => e.id);
  return { name: kind, bytes: raw[kind](), ending: 'keep-open', expect: 'answer', eventIds: ids };
};

/** A valid envelope to a route that does not take it. */
const wrongRoute: Generator = (g) => {
  const list = events(g, 1);
  const [method, path] = pick(g, [
    ['GET', '/events'],
    ['PUT', '/events'],
    ['DELETE', '/events'],
    ['PATCH', '/events'],
    ['POST', '/event'],
    ['POST', '/events/../events/x'],
    ['POST', '/healthz'],
    ['POST', '/%'],
  ] as const);
  return {
    name: `${method} ${path}`,
    bytes: httpRequest({ method, path, headers: headers(g), body: JSON.stringify({ events: list }) }),
    ending: 'keep-open',
    expect: 'answer',
    eventIds: list.map((e) => e.id),
  };
};

/** Every category, with how many of each hundred malformed requests it makes. */
export const CATEGORIES: { name: string; weight: number; generators: Generator[] }[] = [
  { name: 'random-json', weight: 14, generators: [randomJsonBody] },
  { name: 'wrong-type', weight: 22, generators: [wrongType, wrongEnvelope] },
  { name: 'missing-required', weight: 8, generators: [missingRequired, missingEvents] },
  { name: 'huge-string', weight: 3, generators: [hugeString, hugeNotJson] },
  { name: 'deep-nesting', weight: 6, generators: [deepNesting] },
  { name: 'invalid-utf8', weight: 8, generators: [invalidUtf8] },
  { name: 'truncated', weight: 8, generators: [truncated] },
  { name: 'wrong-content-type', weight: 7, generators: [wrongContentType] },
  { name: 'oversized', weight: 3, generators: [oversized] },
  { name: 'bad-token', weight: 8, generators: [badToken] },
  { name: 'empty-body', weight: 5, generators: [emptyBody] },
  { name: 'http-garbage', weight: 5, generators: [httpGarbage] },
  { name: 'wrong-route', weight: 3, generators: [wrongRoute] },
];

/** `count` malformed requests, the categories interleaved in proportion to their weights. */
export function badRequests(g: Generation, count: number): BadRequest[] {
  const requests: BadRequest[] = [];
  const made = new Map<string, number>();
  for (let n = 0; n < count; n += 1) {
    // The category furthest behind its share goes next, so every category appears early and evenly.
    const category = CATEGORIES.reduce((best, c) => ((made.get(c.name) ?? 0) / c.weight < (made.get(best.name) ?? 0) / best.weight ? c : best));
    made.set(category.name, (made.get(category.name) ?? 0) + 1);
    const generator = category.generators[(made.get(category.name)! - 1) % category.generators.length]!;
    requests.push({ category: category.name, ...generator(g) });
  }
  return requests;
}
