import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';

/** One request a receiver got, body included. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Header lines as sent, name then value: repeated headers stay separate. */
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/** Answers a request once its body has been read; doing nothing leaves the request hanging. */
export type Handler = (request: ReceivedRequest, response: ServerResponse) => void;

const ok: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

/**
 * A webhook endpoint on 127.0.0.1 (port 0), http or https, that records each request and
 * counts TCP connections. `close()` drops every connection, hanging ones included.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** TCP connections accepted so far. */
  connections = 0;
  handler: Handler;
  readonly #server: Server;
  readonly #scheme: 'http' | 'https';

  private constructor(server: Server, scheme: 'http' | 'https', handler: Handler) {
    this.#server = server;
    this.#scheme = scheme;
    this.handler = handler;
  }

  /**
   * Starts a receiver; with `tls`, an https one (for mutual TLS set `requestCert` and `ca`).
   * `listen` moves it off 127.0.0.1 port 0 (to another loopback address, say).
   */
  static async start(handler: Handler = ok, tls?: HttpsServerOptions, listen: { host?: string; port?: number } = {}): Promise<Receiver> {
    const server = tls === undefined ? createHttpServer() : (createHttpsServer(tls) as unknown as Server);
    const receiver = new Receiver(server, tls === undefined ? 'http' : 'https', handler);
    server.on(tls === undefined ? 'connection' : 'secureConnection', () => {
      receiver.connections += 1;
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: ReceivedRequest = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          rawHeaders: request.rawHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        receiver.requests.push(received);
        receiver.handler(received, response);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', resolve);
    });
    return receiver;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The endpoint URL, `http(s)://127.0.0.1:<port>/hook`. */
  get url(): string {
    return `${this.#scheme}://127.0.0.1:${this.port}/hook`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/** A plain TCP server on 127.0.0.1 that hands each connection to `onConnection`: for responses HTTP cannot make. */
export async function startRawServer(onConnection: (socket: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
