import { TRACE_NOT_FOUND, traceEvent, type EndpointTrace, type EventTrace } from '@herald/worker';
import { withCommandRedis } from '../command-redis.js';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { formatAge } from './status.js';

export const TRACE_HELP = `Usage: herald trace EVENT-ID [--config FILE] [--json]

Answers "we never got the webhook": when Herald accepted the event, and for every
endpoint in the config whether it was delivered, is pending, in flight, retrying
(next attempt due when), paused, given up (see herald replay), filtered out (by
which ignore rule), or not found; with the attempts and the delivery's log of
its last failed attempts. Event ids are the registry's (the "id" of each event).

An event sent together with others in one envelope (distribution sends one per
envelope; other registries may not) is found by giving every id of that envelope,
in the order sent: herald trace ID1 ID2 ...

Options:
  -c, --config FILE   config file (default: $HERALD_CONFIG, else defaults only)
      --json          print JSON instead of text
  -h, --help          show this help
`;

function describe(trace: EndpointTrace, now: number): string {
  let head: string = trace.state;
  if (trace.filteredBy !== undefined) head += ` (${trace.filteredBy})`;
  if (trace.attempts !== undefined && trace.attempts > 0) head += ` after ${trace.attempts} attempt${trace.attempts === 1 ? '' : 's'}`;
  const parts = [head];
  if (trace.finishedAt !== undefined) parts.push(`at ${trace.finishedAt}`);
  else if (trace.lastAttemptAt !== undefined) parts.push(`last at ${trace.lastAttemptAt}`);
  if (trace.nextAttemptAt !== undefined) parts.push(`next in ${formatAge(Date.parse(trace.nextAttemptAt) - now)}`);
  const line = parts.join(', ');
  return trace.lastError !== undefined && trace.state !== 'delivered' ? `${line}: ${trace.lastError}` : line;
}

/** The trace as an operator reads it. */
export function formatTrace(trace: EventTrace, now = Date.now()): string {
  const lines: string[] = [];
  const { event } = trace;
  if (event === undefined) {
    lines.push(`event ${trace.eventId}: not in Redis (${trace.endpoints.length === 0 ? 'no endpoints configured' : 'no queue holds it'})`);
  } else {
    const reference = event.target.tag ? `:${event.target.tag}` : event.target.digest ? `@${event.target.digest}` : '';
    const source = [event.source?.addr, event.request?.host].filter(Boolean).join(', ');
    lines.push(`event ${trace.eventId}: ${event.action} ${event.target.repository ?? '?'}${reference}${source === '' ? '' : ` (from ${source})`}`);
  }
  if (trace.acceptedAt !== undefined) {
    const by = trace.acceptedBy === undefined ? '' : ` by ${trace.acceptedBy}`;
    lines.push(`accepted ${trace.acceptedAt} (${formatAge(now - Date.parse(trace.acceptedAt))} ago)${by}; delivery id ${trace.deliveryId}`);
  }
  if (trace.inIngress) lines.push('still on the ingress queue: a worker fans it out to the endpoints (is one running?)');
  const width = Math.max(0, ...trace.endpoints.map((entry) => entry.endpoint.length));
  for (const entry of trace.endpoints) lines.push(`  ${entry.endpoint.padEnd(width)}  ${describe(entry, now)}`);
  for (const entry of trace.endpoints) {
    if (entry.log === undefined || entry.log.length === 0) continue;
    lines.push(`${entry.endpoint}: last failed attempts`);
    for (const row of entry.log) lines.push(`  ${row}`);
  }
  if (trace.endpoints.some((entry) => entry.state === 'not found')) lines.push(`not found: ${TRACE_NOT_FOUND}`);
  return `${lines.join('\n')}\n`;
}

/** `herald trace`: where one event is, for every endpoint. */
export async function trace(args: string[], io: CommandIo): Promise<number> {
  // The event ids come first, the options after them.
  const firstOption = args.findIndex((arg) => arg.startsWith('-'));
  const ids = firstOption < 0 ? args : args.slice(0, firstOption);
  const values = parseOptions(args.slice(ids.length), { ...COMMON_OPTIONS, json: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(TRACE_HELP);
    return EXIT_OK;
  }
  if (ids.length === 0) {
    io.stderr.write('herald: trace needs an event id\nRun "herald trace --help" for usage.\n');
    return EXIT_USAGE;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  return withCommandRedis(config, io, `trace failed`, async (redis) => {
    const result = await traceEvent(redis, config.redis.prefix, config.endpoints, ids);
    io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatTrace(result));
    return EXIT_OK;
  });
}
