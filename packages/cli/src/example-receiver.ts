import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Logger } from 'pino';
import { verifySignature } from '@herald/worker';

/** Options of the example receiver. */
export interface ExampleReceiverOptions {
  /** Address to listen on. @defaultValue '127.0.0.1' */
  host?: string;
  /** Port to listen on. */
  port: number;
  /** Standard Webhooks secrets to check signatures with; none = signatures are not checked. @defaultValue [] */
  secrets?: readonly string[];
  /** Where each delivery is logged. */
  logger: Logger;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A small webhook endpoint that logs each delivery — webhook id, events, whether the
 * signature verifies — and answers 200, or 401 when a signature is expected and wrong.
 * It is the other end of `npm start`, and a way to see what Herald sends.
 */
export async function startExampleReceiver(options: ExampleReceiverOptions): Promise<{ server: Server; close(): Promise<void> }> {
  const secrets = options.secrets ?? [];
  const log = options.logger.child({ component: 'receiver' });
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const webhookId = header(request, 'webhook-id');
      const signed = header(request, 'webhook-signature') !== undefined;
      const verified =
        secrets.length === 0
          ? undefined
          : verifySignature(secrets, { id: webhookId, timestamp: header(request, 'webhook-timestamp'), signature: header(request, 'webhook-signature') }, body);
      let events: { id?: string; action?: string; target?: { repository?: string; tag?: string; digest?: string } }[] = [];
      try {
        events = (JSON.parse(body) as { events: typeof events }).events ?? [];
      } catch {
        events = [];
      }
      const summary = events.map((e) => `${e.action ?? '?'} ${e.target?.repository ?? '?'}${e.target?.tag ? `:${e.target.tag}` : e.target?.digest ? `@${e.target.digest.slice(0, 19)}` : ''}`);
      const signature = verified === undefined ? (signed ? 'signed, not checked' : 'unsigned') : verified ? 'signature ok' : 'signature INVALID';
      (verified === false ? log.warn.bind(log) : log.info.bind(log))(
        { webhookId, eventIds: events.map((e) => e.id), events: summary, signature, contentType: header(request, 'content-type') },
        `delivery received: ${summary.join(', ') || 'no events'} (${signature})`,
      );
      response.writeHead(verified === false ? 401 : 200, { 'content-type': 'application/json' }).end(verified === false ? '{"error":"bad signature"}' : '{"ok":true}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
