import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { UsageError, type CommandIo } from '../io.js';
import { parseOptions } from '../command-line.js';
import { startExampleReceiver } from '../example-receiver.js';
import { createRootLogger } from '../logger.js';
import { untilSignal } from '../signals.js';

export const RECEIVER_HELP = `Usage: herald receiver [--host HOST] [--port PORT] [--secret whsec_...]

Runs a small webhook endpoint that logs every delivery it gets (webhook id, events,
signature check) and answers 200 — or 401 when --secret is given and the signature
does not verify. Point an endpoint's url at http://HOST:PORT/hook to see what Herald
sends. GET /healthz answers 200.

Options:
      --host HOST        address to listen on (default 127.0.0.1)
  -p, --port PORT        port to listen on (default 8425)
  -s, --secret SECRET    whsec_ secret to verify signatures with; repeat for several
                         (default: $HERALD_RECEIVER_SECRET)
  -h, --help             show this help
`;

/** `herald receiver`: the example endpoint, until a signal. */
export async function receiver(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, {
    host: { type: 'string' },
    port: { type: 'string', short: 'p' },
    secret: { type: 'string', short: 's', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(RECEIVER_HELP);
    return EXIT_OK;
  }
  const port = Number(values.port ?? 8425);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number');
  const secrets = values.secret ?? (io.env['HERALD_RECEIVER_SECRET'] ? [io.env['HERALD_RECEIVER_SECRET']] : []);
  if (secrets.some((secret) => !secret.startsWith('whsec_'))) {
    io.stderr.write('herald: --secret must be a whsec_ secret\n');
    return EXIT_USAGE;
  }
  const logger = createRootLogger((io.env['HERALD_LOG_LEVEL'] as 'info' | undefined) ?? 'info');
  const running = await startExampleReceiver({ host: values.host ?? '127.0.0.1', port, secrets, logger });
  const address = running.server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  io.stderr.write(`receiver: listening on http://${values.host ?? '127.0.0.1'}:${actual}/hook (${secrets.length > 0 ? 'checking signatures' : 'not checking signatures'})\n`);
  await untilSignal(['SIGTERM', 'SIGINT']);
  await running.close();
  return EXIT_OK;
}
