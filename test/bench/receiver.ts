/**
 * The benchmark's webhook receiver, run as its own process (`node --import tsx
 * test/bench/receiver.ts`) so its CPU is not the benchmark driver's. It answers every
 * POST with 200 at once, counts requests and events per path, remembers each event id's first
 * arrival (wall clock, ms, sub-ms precision) and reports over its own HTTP endpoints:
 *
 *   POST /_bench/reset                 forget everything
 *   GET  /_bench/stats                 counts, duplicates, first and last arrival
 *   GET  /_bench/wait?events=N         answers once N events have arrived, duplicates included (or after timeoutMs)
 *   GET  /_bench/arrivals              [[path, id, arrivedAt], ...] of first arrivals
 *
 * It prints `receiver: http://127.0.0.1:<port>` once listening.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Wall-clock time in ms with sub-ms precision, comparable across processes on one machine. */
const now = () => performance.timeOrigin + performance.now();

interface Tally {
  /** POST requests answered (each holds one envelope of one or more events). */
  requests: number;
  events: number;
  duplicates: number;
  errors: number;
  byPath: Record<string, number>;
  first: number | undefined;
  last: number | undefined;
}

let tally: Tally;
let arrivals: Map<string, number>;
let waiters: { events: number; respond: () => void }[] = [];

function reset(): void {
  tally = { requests: 0, events: 0, duplicates: 0, errors: 0, byPath: {}, first: undefined, last: undefined };
  arrivals = new Map();
  for (const waiter of waiters) waiter.respond();
  waiters = [];
}
reset();

function json(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function record(path: string, body: string): void {
  const at = now();
  let ids: string[];
  try {
    ids = (JSON.parse(body) as { events: { id: string }[] }).events.map((event) => event.id);
  } catch {
    tally.errors += 1;
    return;
  }
  tally.requests += 1;
  tally.events += ids.length;
  tally.byPath[path] = (tally.byPath[path] ?? 0) + 1;
  tally.first ??= at;
  tally.last = at;
  for (const id of ids) {
    const key = `${path} ${id}`;
    if (arrivals.has(key)) tally.duplicates += 1;
    else arrivals.set(key, at);
  }
  if (waiters.length > 0) {
    waiters = waiters.filter((waiter) => {
      if (tally.events < waiter.events) return true;
      waiter.respond();
      return false;
    });
  }
}

function control(request: IncomingMessage, response: ServerResponse, url: URL): void {
  switch (url.pathname) {
    case '/_bench/reset':
      reset();
      return json(response, { ok: true });
    case '/_bench/stats':
      return json(response, tally);
    case '/_bench/wait': {
      const events = Number(url.searchParams.get('events') ?? '0');
      const timeoutMs = Number(url.searchParams.get('timeoutMs') ?? '60000');
      if (tally.events >= events) return json(response, tally);
      let done = false;
      const respond = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        json(response, tally);
      };
      const timer = setTimeout(respond, timeoutMs);
      waiters.push({ events, respond });
      response.on('close', () => clearTimeout(timer));
      return;
    }
    case '/_bench/arrivals':
      return json(
        response,
        [...arrivals].map(([key, at]) => {
          const space = key.indexOf(' ');
          return [key.slice(0, space), key.slice(space + 1), at];
        }),
      );
    default:
      response.writeHead(404).end();
  }
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://receiver');
  if (url.pathname.startsWith('/_bench/')) {
    request.resume();
    request.on('end', () => control(request, response, url));
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (request.method === 'POST') record(url.pathname, Buffer.concat(chunks).toString('utf8'));
    response.writeHead(200, { 'content-length': '0' }).end();
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`receiver: http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
