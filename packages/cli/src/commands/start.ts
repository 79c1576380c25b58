import { summarizeConfig } from '@herald/config';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';

export const START_HELP = `Usage: herald start [--config FILE]

Runs Herald on one machine: ingest, workers and board in one process.
This build checks the configuration and reports what it would run; the ingest
gateway, workers and board are not part of it yet.

Options:
  -c, --config FILE   config file (default: $HERALD_CONFIG, else defaults only)
  -h, --help          show this help
`;

/** `herald start`: until the roles exist, check the config and say what is missing. */
export function start(args: string[], io: CommandIo): number {
  const values = parseOptions(args, COMMON_OPTIONS);
  if (values.help) {
    io.stdout.write(START_HELP);
    return EXIT_OK;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  io.stdout.write(`config ok: ${summarizeConfig(config)}\n`);
  if (config.endpoints.length === 0) {
    io.stdout.write('no endpoints configured: pass --config FILE or set HERALD_CONFIG (see docs/configuration.md)\n');
  }
  io.stdout.write('not started: this build has no ingest gateway, workers or board yet; nothing else to do\n');
  return EXIT_OK;
}
