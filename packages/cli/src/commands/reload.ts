import { withCommandRedis } from '../command-redis.js';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { reloadChannel } from '../live-reload.js';

export const RELOAD_HELP = `Usage: herald reload [--config FILE]

Asks every running Herald process of this Redis and prefix (herald start, worker,
ingest, board) to reload its config, as SIGHUP does for one process. Each re-reads
the file it was started with: endpoints added, removed or changed take effect
without dropping deliveries in flight; a bad config is refused, naming the key, and
the running one kept. Each process logs the outcome ("config reloaded" or "config
reload refused"). Settings such as redis.url or http.port take effect at the next
start, and the log says so.

This command checks the config it is given first, and asks nothing of the fleet if
that one is bad: deploy the same file everywhere, then run it.

Options:
  -c, --config FILE   config file (default: $HERALD_CONFIG, else defaults only)
  -h, --help          show this help
`;

/** `herald reload`: one message on Redis that every running process of the prefix acts on. */
export async function reload(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, COMMON_OPTIONS);
  if (values.help) {
    io.stdout.write(RELOAD_HELP);
    return EXIT_OK;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  return withCommandRedis(config, io, 'reload failed', async (redis) => {
    const listeners = await redis.publish(reloadChannel(config.redis.prefix), String(Date.now()));
    io.stdout.write(
      listeners === 0
        ? `no running Herald process listens on prefix "${config.redis.prefix}"\n`
        : `asked ${listeners} Herald process${listeners === 1 ? '' : 'es'} to reload; each logs "config reloaded" or "config reload refused"\n`,
    );
    return EXIT_OK;
  });
}
