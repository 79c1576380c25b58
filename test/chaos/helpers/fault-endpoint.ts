import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * How a FaultEndpoint answers a delivery. Every kind is one way a real webhook
 * receiver goes wrong; `ok` is the healed endpoint.
 */
export type Fault =
  /** 200 with an empty body. */
  | { kind: 'ok' }
  /** This status (500, 429 with Retry-After, 307 with Location, ...) and headers, empty body. */
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** 200, but only after `delayMs`; by then a client with a shorter timeout has gone. */
  | { kind: 'slow'; delayMs: number }
  /** 200 status line and headers at once, then a body that trickles a byte every `trickleMs` and never ends. */
  | { kind: 'never-ending'; trickleMs: number }
  /** 200 with a `Content-Length: bytes` body streamed as fast as the client reads it. */
  | { kind: 'huge-body'; bytes: number }
  /** 200 status line, headers announcing 64 KiB and 1 KiB of it, then socket.destroy(). */
  | { kind: 'reset-mid-body' }
  /** The request is read, then the connection is reset (TCP RST): no status line at all. */
  | { kind: 'reset-before-response' };

/** One request the endpoint got, and what it did with it. */
export interface Attempt {
  /** The `webhook-id` header: stable across the retries of one delivery. */
  readonly webhookId: string;
  readonly eventIds: string[];
  /** When the whole request had arrived (ms since the epoch). */
  readonly at: number;
  readonly fault: Fault['kind'];
  /** The status line written, if any; undefined for a reset before the response, or a slow answer whose client had gone. */
  status: number | undefined;
  /** Bytes written on the connection (headers and body) when it closed; for huge bodies. */
  bytesWritten: number | undefined;
  /** When the response closed (ended, or the connection dropped). */
  closedAt: number | undefined;
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');

/**
 * A webhook endpoint on loopback that misbehaves as the test says (`fault`, changed at
 * any time; `heal()` sets `ok`). It records every attempt with its `webhook-id`, and as
 * delivered the event ids of every request it wrote a 2xx status line for: Herald counts
 * a 2xx status line as delivered whatever the body does next. It can stop listening and
 * listen again on the same port, so a test can make its URL refuse connections.
 */
export class FaultEndpoint {
  fault: Fault = { kind: 'ok' };
  readonly attempts: Attempt[] = [];
  /** Event ids of every 2xx status line written, in order, duplicates included. */
  readonly delivered: string[] = [];
  /** The same ids as a set, kept as they come (cheap to poll at 100,000 events). */
  readonly deliveredIds = new Set<string>();
  /** When the first 2xx status line was written after `heal()` (ms since the epoch). */
  firstDeliveryAfterHeal: number | undefined;
  #healed = false;
  /** Slow answers not written because the client had gone (timed out). */
  lateAnswersDropped = 0;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #server: Server | undefined;
  #port: number;

  private constructor(port: number) {
    this.#port = port;
  }

  /** Starts listening on `port` (0: a free one). */
  static async start(port = 0): Promise<FaultEndpoint> {
    const endpoint = new FaultEndpoint(port);
    await endpoint.listen();
    return endpoint;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  get listening(): boolean {
    return this.#server !== undefined;
  }

  heal(): void {
    this.fault = { kind: 'ok' };
    this.#healed = true;
  }

  /** Listens (again) on the endpoint's port. */
  async listen(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.#answer(request, response, Buffer.concat(chunks)));
      request.on('error', () => {});
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and drops every connection: the URL now refuses connections. */
  async unlisten(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of this.#sockets) socket.destroy();
    server.closeAllConnections();
    await closed;
  }

  async close(): Promise<void> {
    await this.unlisten();
  }

  /** Attempts grouped by webhook id, each group in arrival order. */
  attemptsByDelivery(): Map<string, Attempt[]> {
    const groups = new Map<string, Attempt[]>();
    for (const attempt of this.attempts) groups.set(attempt.webhookId, [...(groups.get(attempt.webhookId) ?? []), attempt]);
    return groups;
  }

  /** Waits until `predicate` holds, polling; throws after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fault endpoint: ${what} not met within ${timeoutMs}ms (${this.deliveredIds.size} ids delivered, ${this.attempts.length} attempts)`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  #answer(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    let eventIds: string[] = [];
    try {
      eventIds = (JSON.parse(body.toString('utf8')) as { events: { id: string }[] }).events.map((event) => event.id);
    } catch {
      eventIds = [];
    }
    const fault = this.fault;
    const attempt: Attempt = { webhookId: String(request.headers['webhook-id']), eventIds, at: Date.now(), fault: fault.kind, status: undefined, bytesWritten: undefined, closedAt: undefined };
    response.once('close', () => {
      attempt.closedAt = Date.now();
    });
    this.attempts.push(attempt);
    const socket = request.socket;
    const statusLine = (status: number, headers?: Record<string, string | number>) => {
      attempt.status = status;
      response.writeHead(status, headers);
      if (status >= 200 && status < 300) {
        this.delivered.push(...eventIds);
        for (const id of eventIds) this.deliveredIds.add(id);
        if (this.#healed) this.firstDeliveryAfterHeal ??= Date.now();
      }
    };
    switch (fault.kind) {
      case 'ok':
        statusLine(200);
        response.end();
        return;
      case 'status':
        statusLine(fault.status, fault.headers);
        response.end();
        return;
      case 'slow':
        this.#later(fault.delayMs, () => {
          if (response.destroyed || socket.destroyed) {
            this.lateAnswersDropped += 1;
            return;
          }
          statusLine(200);
          response.end();
        });
        return;
      case 'never-ending': {
        statusLine(200, { 'content-type': 'text/plain' });
        response.write('.');
        const timer = setInterval(() => {
          if (!response.destroyed) response.write('.');
        }, fault.trickleMs);
        response.once('close', () => clearInterval(timer));
        return;
      }
      case 'huge-body': {
        statusLine(200, { 'content-type': 'application/octet-stream', 'content-length': fault.bytes });
        let sent = 0;
        // One chunk per turn of the event loop, so that pumping bodies never starves the
        // test's other servers (the healthy receivers whose latency is measured).
        const pump = (): void => {
          if (response.destroyed) return;
          if (sent >= fault.bytes) {
            response.end();
            return;
          }
          const chunk = fault.bytes - sent >= CHUNK.length ? CHUNK : CHUNK.subarray(0, fault.bytes - sent);
          sent += chunk.length;
          if (response.write(chunk)) setImmediate(pump);
          else response.once('drain', pump);
        };
        response.once('close', () => {
          attempt.bytesWritten = socket.bytesWritten;
        });
        response.on('error', () => {});
        pump();
        return;
      }
      case 'reset-mid-body':
        statusLine(200, { 'content-type': 'application/octet-stream', 'content-length': 65_536 });
        response.write(CHUNK.subarray(0, 1024), () => socket.destroy());
        return;
      case 'reset-before-response':
        socket.resetAndDestroy();
        return;
    }
  }
}
