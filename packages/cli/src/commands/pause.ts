import { pauseEndpoint, readFleetStatus, resumeEndpoint } from '@herald/worker';
import { withCommandRedis } from '../command-redis.js';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';

const OPTIONS_HELP = `Options:
  -c, --config FILE     config file (default: $HERALD_CONFIG, else defaults only)
  -e, --endpoint NAME   the endpoint (required); repeat for several
  -h, --help            show this help`;

export const PAUSE_HELP = `Usage: herald pause --endpoint NAME [--config FILE]

Stops deliveries to an endpoint across the whole fleet, until herald resume: for a
receiver under maintenance, or one that misbehaves. Nothing is lost: events keep
queueing for it, and retries coming due wait with them. The pause is kept in Redis,
so it holds across worker restarts. herald status, /metrics (herald_endpoint_paused)
and the board show it. An endpoint that answers 410 Gone is paused the same way.

${OPTIONS_HELP}
`;

export const RESUME_HELP = `Usage: herald resume --endpoint NAME [--config FILE]

Resumes deliveries to a paused endpoint (paused by herald pause, the board, or a
410 Gone answer): the workers send what queued meanwhile, oldest first.

${OPTIONS_HELP}
`;

/** `herald pause` and `herald resume`: one fleet-wide flag per endpoint, in Redis. */
async function setPaused(args: string[], io: CommandIo, pause: boolean): Promise<number> {
  const values = parseOptions(args, { ...COMMON_OPTIONS, endpoint: { type: 'string', short: 'e', multiple: true } });
  if (values.help) {
    io.stdout.write(pause ? PAUSE_HELP : RESUME_HELP);
    return EXIT_OK;
  }
  const command = pause ? 'pause' : 'resume';
  const names = values.endpoint ?? [];
  if (names.length === 0) {
    io.stderr.write(`herald: ${command} needs --endpoint NAME\nRun "herald ${command} --help" for usage.\n`);
    return EXIT_USAGE;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  const known = new Set(config.endpoints.map((endpoint) => endpoint.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    io.stderr.write(`herald: no endpoint named ${unknown.map((name) => `"${name}"`).join(', ')} in the config (known: ${[...known].join(', ') || 'none'})\n`);
    return EXIT_USAGE;
  }
  return withCommandRedis(config, io, `${command} failed`, async (redis) => {
    for (const name of names) {
      const read = async () => (await readFleetStatus(redis, config.redis.prefix, [name]))[0];
      // Counted before a resume: from then on the fleet delivers at once, racing the count.
      const resumedWith = pause ? undefined : await read();
      const before = pause ? await pauseEndpoint(redis, config.redis.prefix, name) : await resumeEndpoint(redis, config.redis.prefix, name);
      const status = resumedWith ?? (await read());
      const pending = `${status?.pending ?? 0} pending`;
      if (pause) io.stdout.write(`${name}: ${before ? 'was already paused' : 'paused fleet-wide'}; ${pending}, waiting for "herald resume --endpoint ${name}"\n`);
      else io.stdout.write(`${name}: ${before ? 'resumed' : 'was not paused'}; ${pending}${before ? ', delivered from now on' : ''}\n`);
    }
    return EXIT_OK;
  });
}

export const pause = (args: string[], io: CommandIo) => setPaused(args, io, true);
export const resume = (args: string[], io: CommandIo) => setPaused(args, io, false);
