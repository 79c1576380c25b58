import { randomUUID } from 'node:crypto';
import { HttpSink } from '@herald/worker';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { UsageError, type CommandIo } from '../io.js';
import { VERSION } from '../version.js';

export const PING_HELP = `Usage: herald ping ENDPOINT [--config FILE]

Sends one test envelope straight to an endpoint, with its headers, signature, TLS
settings and timeout, and prints the answer: a quick check that the endpoint is
reachable and accepts Herald's requests. The event has action "ping" and repository
"herald/ping"; nothing goes through Redis.

Options:
  -c, --config FILE   config file (default: $HERALD_CONFIG, else defaults only)
  -h, --help          show this help

Exit status: 0 when the endpoint answered 2xx, 1 when not, 2 on usage errors.
`;

/** `herald ping ENDPOINT`: one signed POST, its status and time. */
export async function ping(args: string[], io: CommandIo): Promise<number> {
  const first = args[0];
  const name = first !== undefined && !first.startsWith('-') ? first : undefined;
  const values = parseOptions(name === undefined ? args : args.slice(1), COMMON_OPTIONS);
  if (values.help) {
    io.stdout.write(PING_HELP);
    return EXIT_OK;
  }
  if (name === undefined) throw new UsageError('herald ping needs an endpoint name');
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  const endpoint = config.endpoints.find((entry) => entry.name === name);
  if (endpoint === undefined) {
    io.stderr.write(`herald: no endpoint named "${name}" (known: ${config.endpoints.map((e) => e.name).join(', ') || 'none'})\n`);
    return EXIT_USAGE;
  }
  let outcome = '';
  const sink = new HttpSink(endpoint, {
    userAgent: `herald/${VERSION}`,
    egress: config.egress,
    listener: {
      onSuccess: (_e, _events, status, ms) => void (outcome = `${status} in ${Math.round(ms)} ms`),
      onFailure: (_e, _events, status, ms) => void (outcome = `${status} in ${Math.round(ms)} ms`),
      onError: (_e, _events, error, ms) => void (outcome = `${error.message} after ${Math.round(ms)} ms`),
    },
  });
  const event = { id: `ping-${randomUUID()}`, timestamp: new Date().toISOString(), action: 'ping', target: { repository: 'herald/ping' }, source: { addr: 'herald', instanceID: 'ping' } };
  try {
    await sink.write(event);
    io.stdout.write(`${name}: delivered (${outcome})\n`);
    return EXIT_OK;
  } catch {
    io.stdout.write(`${name}: not delivered (${outcome})\n`);
    return EXIT_FAILURE;
  } finally {
    await sink.close();
  }
}
