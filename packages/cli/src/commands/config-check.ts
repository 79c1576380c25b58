import { describeConfig, summarizeConfig } from '@herald/config';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';

export const CONFIG_CHECK_HELP = `Usage: herald config check [--config FILE] [--print]

Checks a Herald configuration and says what it will do, without starting anything.
FILE is a Herald config (YAML or JSON) or a registry config.yml, whose
notifications.endpoints are read. Environment variables (HERALD_*, REDIS_URL) apply.

Options:
  -c, --config FILE   config file (default: $HERALD_CONFIG, else defaults only)
  -p, --print         also print the effective config as JSON, secrets redacted
  -h, --help          show this help

Exit status: 0 when the config is valid, 2 with one line per problem when not.
`;

/** `herald config check`: exit 0 and a one-line summary, or exit 2 and every problem. */
export function configCheck(args: string[], io: CommandIo): number {
  const values = parseOptions(args, { ...COMMON_OPTIONS, print: { type: 'boolean', short: 'p' } });
  if (values.help) {
    io.stdout.write(CONFIG_CHECK_HELP);
    return EXIT_OK;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  io.stdout.write(`config ok: ${summarizeConfig(config)}\n`);
  if (values.print) io.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
  return EXIT_OK;
}
