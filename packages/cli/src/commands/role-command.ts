import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { createRootLogger } from '../logger.js';
import type { Role } from '../roles.js';
import { runRoles } from './run-roles.js';

/** A command that runs some roles: `herald ingest`, `herald worker`, `herald board`. */
export function roleCommand(roles: Role[], help: string) {
  return async (args: string[], io: CommandIo): Promise<number> => {
    const values = parseOptions(args, COMMON_OPTIONS);
    if (values.help) {
      io.stdout.write(help);
      return EXIT_OK;
    }
    const config = loadCommandConfig(values.config, io);
    if (config === undefined) return EXIT_USAGE;
    return runRoles(config, createRootLogger(config.log.level), new Set(roles), io);
  };
}

const SERVES = `Every Herald process also serves GET /healthz, /readyz, /metrics and /debug/vars
on http.host:http.port (default 127.0.0.1:8420): give each process on one machine
its own HERALD_HTTP_PORT.`;

const OPTIONS = `Options:
  -c, --config FILE   config file (default: $HERALD_CONFIG, else defaults only)
  -h, --help          show this help`;

export const WORKER_HELP = `Usage: herald worker [--config FILE]

Delivers events: POSTs each endpoint's queued deliveries to it, with retries, and
fans out any envelope left on the ingress queue (accepted before a worker published
the endpoints, or by Herald 0.1). Run as many as you like against the same
Redis; they share the work. SIGTERM or SIGINT stops it after the deliveries in flight.

${SERVES}

${OPTIONS}
`;

export const INGEST_HELP = `Usage: herald ingest [--config FILE]

Runs the HTTP gateway registries POST their events to: point a registry's
notifications.endpoints at http://<host>:<port>/events, with
headers: { Authorization: [Bearer <ingest.token>] }. It answers 202 once Redis holds
the envelope, 400/401/413/415 for bad requests, 503 while Redis is unreachable.

${SERVES}

${OPTIONS}
`;

export const BOARD_HELP = `Usage: herald board [--config FILE]

Serves Bull Board at /board: every Herald queue, its jobs, retries and failures.
Set board.username and board.password (HERALD_BOARD_USERNAME, HERALD_BOARD_PASSWORD)
to require a login; without one it only starts on a loopback http.host.

${SERVES}

${OPTIONS}
`;

export const worker = roleCommand(['worker'], WORKER_HELP);
export const ingest = roleCommand(['ingest'], INGEST_HELP);
export const board = roleCommand(['board'], BOARD_HELP);
