import { endpointQueueName, ingressQueueName, slotPerQueue } from '@herald/producer';
import { parseDuration } from '@herald/config';
import { replayFailed, replayWindow } from '@herald/worker';
import { withCommandRedis } from '../command-redis.js';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { UsageError, type CommandIo } from '../io.js';

export const REPLAY_HELP = `Usage: herald replay [--config FILE] [--endpoint NAME]... [--dry-run]
       herald replay --endpoint NAME... --since WHEN [--until WHEN] [--action A]...
                     [--repository GLOB] [--state delivered|failed|all] [--dry-run]

Without --since: re-drives failed deliveries. Jobs an endpoint gave up on after its
maxage (and envelopes whose fan-out failed) go back to their queue with a fresh
maxage, and the workers deliver them again. Without --endpoint, every endpoint.

With --since: sends a window of an endpoint's deliveries again, in acceptance order,
say after the receiver restored its database from a backup. Delivered ones can be
replayed while worker.history keeps them (3h by default); given-up ones always. Each
becomes a new delivery of the matching events, sent with the header
"Herald-Replay: true". The originals are left as they are.

Options:
  -c, --config FILE       config file (default: $HERALD_CONFIG, else defaults only)
  -e, --endpoint NAME     only this endpoint; repeat for several (required with --since)
  -n, --dry-run           say how many would be replayed, change nothing
      --since WHEN        accepted at or after WHEN: a duration ago (6h, 90m) or a time
                          (2026-12-02T10:00:00Z)
      --until WHEN        accepted at or before WHEN (default: now)
      --action A          only events with this action (push, pull, delete, mount);
                          repeat for several
      --repository GLOB   only events of matching repositories (* any text, ? one character)
      --state STATE       delivered (default), failed (given up) or all
  -h, --help              show this help
`;

/** A time given as a duration ago (`6h`) or an ISO date; undefined when neither. */
export function parseWhen(text: string, now: number): number | undefined {
  try {
    return now - parseDuration(text);
  } catch {
    const at = Date.parse(text);
    return /\d{4}-\d\d-\d\d/.test(text) && Number.isFinite(at) ? at : undefined;
  }
}

const STATES = { delivered: ['delivered'], failed: ['failed'], all: ['delivered', 'failed'] } as const;

/** `herald replay`: failed jobs back to their queues, or a window sent again; with progress. */
export async function replay(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, {
    ...COMMON_OPTIONS,
    endpoint: { type: 'string', short: 'e', multiple: true },
    'dry-run': { type: 'boolean', short: 'n' },
    since: { type: 'string' },
    until: { type: 'string' },
    action: { type: 'string', multiple: true },
    repository: { type: 'string' },
    state: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(REPLAY_HELP);
    return EXIT_OK;
  }
  const windowOnly = (['until', 'action', 'repository', 'state'] as const).filter((key) => values[key] !== undefined);
  if (values.since === undefined && windowOnly.length > 0) throw new UsageError(`--${windowOnly[0]} needs --since`);
  const now = Date.now();
  const sinceMs = values.since === undefined ? undefined : parseWhen(values.since, now);
  const untilMs = values.until === undefined ? now : parseWhen(values.until, now);
  if (values.since !== undefined && sinceMs === undefined) throw new UsageError(`--since "${values.since}" is neither a duration (6h) nor a time (2026-12-02T10:00:00Z)`);
  if (untilMs === undefined) throw new UsageError(`--until "${values.until}" is neither a duration (6h) nor a time (2026-12-02T10:00:00Z)`);
  if (values.state !== undefined && !Object.hasOwn(STATES, values.state)) throw new UsageError(`--state must be delivered, failed or all, not "${values.state}"`);
  if (sinceMs !== undefined && (values.endpoint ?? []).length === 0) throw new UsageError('--since needs --endpoint NAME: say which endpoint gets the window again');
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  const known = new Set(config.endpoints.map((endpoint) => endpoint.name));
  const unknown = (values.endpoint ?? []).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    io.stderr.write(`herald: no endpoint named ${unknown.map((name) => `"${name}"`).join(', ')} in the config (known: ${[...known].join(', ') || 'none'})\n`);
    return EXIT_USAGE;
  }
  const names = values.endpoint ?? [...known];
  const dryRun = values['dry-run'] ?? false;
  const progress = (label: string) => (phase: string, done: number, all: number) => {
    if (io.stderr.isTTY === true) io.stderr.write(`\r  ${label}: ${phase} ${done}/${all}  `);
  };
  if (sinceMs !== undefined) {
    return withCommandRedis(config, io, `replay failed`, async (redis) => {
      let total = 0;
      for (const name of names) {
        const result = await replayWindow(redis, config.redis.prefix, name, {
          sinceMs,
          untilMs,
          ...(values.action === undefined ? {} : { actions: values.action }),
          ...(values.repository === undefined ? {} : { repository: values.repository }),
          states: STATES[(values.state ?? 'delivered') as keyof typeof STATES],
          dryRun,
          onProgress: progress(name),
        });
        if (io.stderr.isTTY === true) io.stderr.write('\r\x1b[K');
        total += result.deliveries;
        const span = result.first === undefined ? '' : `, accepted ${new Date(result.first).toISOString()} to ${new Date(result.last!).toISOString()}`;
        io.stdout.write(`${name}: ${result.deliveries} deliveries (${result.events} events)${span} ${dryRun ? 'would be replayed' : 'replayed'}\n`);
      }
      io.stdout.write(`${dryRun ? 'would replay' : 'replayed'} ${total} in all, from ${new Date(sinceMs).toISOString()} to ${new Date(untilMs).toISOString()}\n`);
      return EXIT_OK;
    });
  }
  return withCommandRedis(config, io, `replay failed`, async (redis) => {
    let total = 0;
    const perSlot = slotPerQueue(redis, config.redis.prefix);
    const targets: [string, string][] = [['fan-out (ingress)', ingressQueueName(perSlot)], ...names.map((name): [string, string] => [name, endpointQueueName(name, perSlot)])];
    for (const [label, queue] of targets) {
      const count = await replayFailed(redis, config.redis.prefix, queue, {
        dryRun,
        onProgress: (done, all) => progress(label)('replaying', done, all),
      });
      if (io.stderr.isTTY === true) io.stderr.write('\r\x1b[K');
      total += count;
      io.stdout.write(`${label}: ${count} failed ${dryRun ? 'would be replayed' : 'replayed'}\n`);
    }
    io.stdout.write(`${dryRun ? 'would replay' : 'replayed'} ${total} in all\n`);
    return EXIT_OK;
  });
}
