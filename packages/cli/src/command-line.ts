import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type HeraldConfig } from '@herald/config';
import { UsageError, type CommandIo } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

type Values<T extends Options> = ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>['values'];

/** Parses a command's options strictly; a mistake becomes a UsageError (exit 2). */
export function parseOptions<T extends Options>(args: string[], options: T): Values<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Values<T>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Loads the config of `--config FILE` (else HERALD_CONFIG) and the environment.
 * On a bad config it prints every problem to stderr and returns undefined (exit 2).
 */
export function loadCommandConfig(file: string | undefined, io: CommandIo): HeraldConfig | undefined {
  try {
    return loadConfig({ ...(file === undefined ? {} : { file }), env: io.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(formatConfigError(error, file ?? io.env['HERALD_CONFIG']));
    return undefined;
  }
}

/** Prints a ConfigError as a header naming the file and one indented line per problem. */
export function formatConfigError(error: ConfigError, file: string | undefined): string {
  const count = error.problems.length;
  const source = file === undefined || file === '' ? '' : ` in ${file}`;
  const lines = error.problems.map((problem) => `  ${problem.key}: ${problem.reason}\n`).join('');
  return `config invalid: ${count} problem${count === 1 ? '' : 's'}${source}\n${lines}`;
}
