import { parseArgs } from 'node:util';
import { ConfigError, describeConfig, loadConfig, summarizeConfig } from '@herald/config';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { UsageError, type CommandIo } from '../io.js';

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
  let values: { config?: string | undefined; print?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        print: { type: 'boolean', short: 'p' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    io.stdout.write(CONFIG_CHECK_HELP);
    return EXIT_OK;
  }
  try {
    const config = loadConfig({ ...(values.config === undefined ? {} : { file: values.config }), env: io.env });
    io.stdout.write(`config ok: ${summarizeConfig(config)}\n`);
    if (values.print) io.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(formatConfigError(error));
    return EXIT_USAGE;
  }
}

/** Prints a ConfigError as a header and one indented line per problem. */
export function formatConfigError(error: ConfigError): string {
  const count = error.problems.length;
  const lines = error.problems.map((problem) => `  ${problem.key}: ${problem.reason}\n`).join('');
  return `config invalid: ${count} problem${count === 1 ? '' : 's'}\n${lines}`;
}
