import { endpointQueueName, INGRESS_QUEUE } from '@herald/producer';
import { replayFailed } from '@herald/worker';
import { withCommandRedis } from '../command-redis.js';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';

export const REPLAY_HELP = `Usage: herald replay [--config FILE] [--endpoint NAME]... [--dry-run]

Re-drives failed deliveries: jobs an endpoint gave up on after its maxage (and
envelopes whose fan-out failed) go back to their queue with a fresh maxage, and the
workers deliver them again. Without --endpoint, every endpoint in the config.

Options:
  -c, --config FILE     config file (default: $HERALD_CONFIG, else defaults only)
  -e, --endpoint NAME   only this endpoint; repeat for several
  -n, --dry-run         say how many would be replayed, change nothing
  -h, --help            show this help
`;

/** `herald replay`: failed jobs back to their queues, with progress. */
export async function replay(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, {
    ...COMMON_OPTIONS,
    endpoint: { type: 'string', short: 'e', multiple: true },
    'dry-run': { type: 'boolean', short: 'n' },
  });
  if (values.help) {
    io.stdout.write(REPLAY_HELP);
    return EXIT_OK;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  const known = new Set(config.endpoints.map((endpoint) => endpoint.name));
  const unknown = (values.endpoint ?? []).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    io.stderr.write(`herald: no endpoint named ${unknown.map((name) => `"${name}"`).join(', ')} in the config (known: ${[...known].join(', ') || 'none'})\n`);
    return EXIT_USAGE;
  }
  const names = values.endpoint ?? [...known];
  return withCommandRedis(config, io, `replay failed`, async (redis) => {
    const dryRun = values['dry-run'] ?? false;
    let total = 0;
    const targets: [string, string][] = [['fan-out (ingress)', INGRESS_QUEUE], ...names.map((name): [string, string] => [name, endpointQueueName(name)])];
    for (const [label, queue] of targets) {
      const count = await replayFailed(redis, config.redis.prefix, queue, {
        dryRun,
        onProgress: (done, all) => io.stderr.write(`  ${label}: ${done}/${all}\r`),
      });
      total += count;
      io.stdout.write(`${label}: ${count} failed ${dryRun ? 'would be replayed' : 'replayed'}\n`);
    }
    io.stdout.write(`${dryRun ? 'would replay' : 'replayed'} ${total} in all\n`);
    return EXIT_OK;
  });
}
