import { describeRedis, formatByteSize, type EndpointConfig } from '@herald/config';
import { readRoutes, type RoutingTable } from '@herald/producer';
import { readFleetStatus } from '@herald/worker';
import { withCommandRedis } from '../command-redis.js';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';

export const STATUS_HELP = `Usage: herald status [--config FILE] [--json]

Shows each endpoint as the whole fleet sees it, from Redis: its batching (maxbatch,
and maxbatchbytes when above 1), deliveries pending (waiting, retrying, in flight),
the age of the oldest pending one (lag), failed (given up, see herald replay), whether
it is paused (herald pause, the board, or a 410 Gone), and the counters of attempts: events, POST
requests (events ÷ requests is the batching factor), successes, failures (non-2xx),
errors (no answer).
An endpoint removed from the config whose queue still holds deliveries is listed
too, marked "(not in config)": nobody delivers them until it is configured again.
The last line says which endpoints producers and ingest route events to (the
routes the last worker started published), and where that differs from the config.

Options:
  -c, --config FILE   config file (default: $HERALD_CONFIG, else defaults only)
      --json          print JSON instead of a table
  -h, --help          show this help
`;

/** Which endpoints accepted events are routed to, and how that differs from the config's enabled ones. */
export function routesLine(table: RoutingTable | undefined, enabled: readonly string[]): string {
  if (table === undefined) return 'routes: none published yet; events wait in the ingress queue until a worker starts';
  const routed = table.routes.map((route) => route.name);
  const missing = enabled.filter((name) => !routed.includes(name));
  const extra = routed.filter((name) => !enabled.includes(name));
  const differences = [
    ...(missing.length > 0 ? [`not routed yet: ${missing.join(', ')} (start a worker with this config)`] : []),
    ...(extra.length > 0 ? [`routed but not in this config: ${extra.join(', ')}`] : []),
  ];
  return `routes ${table.version}: ${routed.join(', ') || 'no endpoints'}${differences.length > 0 ? `; ${differences.join('; ')}` : ''}`;
}

/** An endpoint's batching as status shows it: `1`, or `32 ≤1MiB`. */
export function batchingOf(endpoint: EndpointConfig | undefined): string {
  if (endpoint === undefined) return '-';
  return endpoint.maxBatch > 1 ? `${endpoint.maxBatch} ≤${formatByteSize(endpoint.maxBatchBytes)}` : '1';
}

/** An age as status shows it: whole seconds up to a minute, then `4m12s`, `3h05m`, `2d04h`. */
export function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}

/** `herald status`: one line per endpoint. */
export async function status(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, { ...COMMON_OPTIONS, json: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(STATUS_HELP);
    return EXIT_OK;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  return withCommandRedis(config, io, `cannot read status from ${describeRedis(config.redis)}`, async (redis) => {
    const fleet = await readFleetStatus(redis, config.redis.prefix, config.endpoints.map((endpoint) => endpoint.name));
    const configured = new Map(config.endpoints.map((endpoint) => [endpoint.name, endpoint]));
    if (values.json) {
      const withBatching = fleet.map((entry) => {
        const endpoint = configured.get(entry.name);
        return endpoint === undefined ? entry : { ...entry, maxbatch: endpoint.maxBatch, maxbatchbytes: endpoint.maxBatchBytes };
      });
      io.stdout.write(`${JSON.stringify(withBatching, null, 2)}\n`);
      return EXIT_OK;
    }
    const rows = [['endpoint', 'maxbatch', 'pending', 'oldest', 'failed', 'events', 'requests', 'successes', 'failures', 'errors', 'statuses']];
    for (const entry of fleet) {
      const c = entry.counters;
      const statuses = Object.entries(c.Statuses).map(([line, n]) => `${line.split(' ')[0]}:${n}`).join(' ') || '-';
      const name = `${entry.name}${entry.paused ? ' (paused)' : ''}${entry.configured ? '' : ' (not in config)'}`;
      const oldest = entry.oldestPendingMs === undefined ? '-' : formatAge(entry.oldestPendingMs);
      rows.push([name, batchingOf(configured.get(entry.name)), entry.pending, oldest, entry.failed, c.Events, c.Requests, c.Successes, c.Failures, c.Errors, statuses].map(String));
    }
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    io.stdout.write(`redis ${describeRedis(config.redis)} prefix "${config.redis.prefix}"\n`);
    for (const row of rows) io.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
    io.stdout.write(`${routesLine(await readRoutes(redis, config.redis.prefix), config.endpoints.filter((endpoint) => !endpoint.disabled).map((endpoint) => endpoint.name))}\n`);
    const orphaned = fleet.filter((entry) => !entry.configured);
    if (orphaned.length > 0) {
      const held = orphaned.reduce((sum, entry) => sum + entry.pending + entry.failed, 0);
      io.stdout.write(`${held} deliveries wait for endpoints not in the config (${orphaned.map((entry) => entry.name).join(', ')}): add them back to deliver them\n`);
    }
    return EXIT_OK;
  });
}
