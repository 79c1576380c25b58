import { createServer } from 'node:net';

/**
 * A loopback port that is free now and lies below Linux's ephemeral range (32768-60999),
 * so that no `listen(0)` and no outgoing connection takes it while a test keeps it closed.
 * A closed port in the ephemeral range can even be connected to itself by a retrying
 * client (TCP simultaneous open), which would turn "refused" into "answered".
 */
export async function closedPortBelowEphemeralRange(): Promise<number> {
  for (let tries = 0; tries < 50; tries += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 20000-31999 after 50 tries');
}
