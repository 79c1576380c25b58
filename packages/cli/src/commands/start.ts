import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, summarizeConfig } from '@herald/config';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { UsageError, type CommandIo } from '../io.js';
import { formatConfigError } from './config-check.js';

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
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    io.stdout.write(START_HELP);
    return EXIT_OK;
  }
  try {
    const config = loadConfig({ ...(values.config === undefined ? {} : { file: values.config }), env: io.env });
    io.stdout.write(`config ok: ${summarizeConfig(config)}\n`);
    if (config.endpoints.length === 0) {
      io.stdout.write('no endpoints configured: pass --config FILE or set HERALD_CONFIG (see docs/configuration.md)\n');
    }
    io.stdout.write('not started: this build has no ingest gateway, workers or board yet; nothing else to do\n');
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(formatConfigError(error));
    return EXIT_USAGE;
  }
}
