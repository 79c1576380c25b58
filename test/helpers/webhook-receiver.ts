import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface Delivery {
  readonly eventIds: string[];
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAt: number;
}

/** What to answer to a delivery: a status (and headers), after an optional delay; `hang` never answers. */
export type Reply = { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

/**
 * A webhook endpoint on loopback that records what it receives and answers as the
 * test decides (`reply`, called for every request; 200 by default). It counts requests
 * in flight, so a test can check that an ordered endpoint never sees two at once.
 */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  reply: (delivery: Delivery, attempt: number) => Reply = () => ({ status: 200 });
  inFlight = 0;
  maxInFlight = 0;
  readonly #server: Server;
  readonly #attempts = new Map<string, number>();
  readonly #hanging = new Set<ServerResponse>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => void receiver!.#handle(Buffer.concat(chunks).toString('utf8'), request.headers, response));
    });
    server.keepAliveTimeout = 60_000;
    receiver = new WebhookReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  /** Event ids of every successful (2xx) delivery, in arrival order, duplicates included. */
  readonly delivered: string[] = [];

  async #handle(body: string, headers: IncomingHttpHeaders, response: ServerResponse): Promise<void> {
    let eventIds: string[] = [];
    try {
      eventIds = (JSON.parse(body) as { events: { id: string }[] }).events.map((event) => event.id);
    } catch {
      eventIds = [];
    }
    const delivery: Delivery = { eventIds, headers, body, receivedAt: Date.now() };
    const key = eventIds.join(',');
    const attempt = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempt);
    this.deliveries.push(delivery);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const reply = this.reply(delivery, attempt);
    if (reply === 'hang') {
      this.#hanging.add(response);
      response.on('close', () => {
        this.#hanging.delete(response);
        this.inFlight -= 1;
      });
      return;
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (reply.status >= 200 && reply.status < 300) this.delivered.push(...eventIds);
    this.inFlight -= 1;
    response.writeHead(reply.status, reply.headers).end();
  }

  /** Waits until `predicate` holds, polling; throws after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs}ms (${this.delivered.length} delivered)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    for (const response of this.#hanging) response.destroy();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
