import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { Resolver } from 'node:dns/promises';
import type { Resolve } from '../../src/egress-lookup.js';

/**
 * A DNS server on 127.0.0.1 (UDP, port 0) answering every A query with the address
 * `answer(name, queryNumber)` picks, TTL 0: a name whose resolution changes from one
 * query to the next, as a DNS-rebinding attacker's would. `resolve` asks it, and only it.
 */
export class DnsServer {
  /** Names asked, in order. */
  readonly queries: string[] = [];
  readonly #socket: Socket;

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  static async start(answer: (name: string, queryNumber: number) => string): Promise<DnsServer> {
    const socket = createSocket('udp4');
    const server = new DnsServer(socket);
    socket.on('message', (query, peer) => {
      const { name, end } = questionOf(query);
      server.queries.push(name);
      const address = answer(name, server.queries.length).split('.').map(Number);
      const header = Buffer.from(query.subarray(0, 12));
      header.writeUInt16BE(0x8180, 2); // a response, recursion desired and available, no error
      header.writeUInt16BE(1, 4); // one question
      header.writeUInt16BE(1, 6); // one answer
      header.writeUInt32BE(0, 8); // no authority or additional records
      // The name as a pointer to the question, type A, class IN, TTL 0, four bytes of address.
      const record = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, ...address]);
      socket.send(Buffer.concat([header, query.subarray(12, end), record]), peer.port, peer.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return server;
  }

  /** A resolver asking this server only, in the shape HttpSink's `resolve` option takes. */
  get resolve(): Resolve {
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${(this.#socket.address() as AddressInfo).port}`]);
    return async (host) => (await resolver.resolve4(host)).map((address) => ({ address, family: 4 }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/** The question's name and where the question ends (after its type and class). */
function questionOf(query: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let at = 12;
  while (query[at]! > 0) {
    labels.push(query.subarray(at + 1, at + 1 + query[at]!).toString('ascii'));
    at += 1 + query[at]!;
  }
  return { name: labels.join('.'), end: at + 5 };
}
