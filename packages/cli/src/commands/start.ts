import { isLoopbackHost, redactUrl, type HeraldConfig } from '@herald/config';
import type { Logger } from 'pino';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { startExampleReceiver } from '../example-receiver.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { redisAnswers, startLocalRedis, type LocalRedis } from '../local-redis.js';
import { createRootLogger } from '../logger.js';
import { runRoles } from './run-roles.js';

export const START_HELP = `Usage: herald start [--config FILE] [--receiver ENDPOINT]

Runs Herald on one machine: ingest, worker and board in one process, on one HTTP
server (http.host:http.port, default 127.0.0.1:8420).

If nothing answers at the Redis URL (REDIS_URL, default redis://127.0.0.1:6379), it
is on this machine and redis-server is installed, Herald starts one with an
append-only file in ./.herald/redis and stops it on exit.

Options:
  -c, --config FILE        config file (default: $HERALD_CONFIG, else defaults only)
  -r, --receiver ENDPOINT  also run the example receiver at the URL of this endpoint
                           (a loopback http URL), checking its signatures
  -h, --help               show this help

npm start runs: herald start --config docs/examples/herald.yaml --receiver example
`;

async function ensureRedis(config: HeraldConfig, io: CommandIo, logger: Logger): Promise<LocalRedis | null | undefined> {
  // A cluster or Sentinel is the operator's to run; only a single local Redis is started here.
  if (config.redis.mode !== 'standalone' || (await redisAnswers(config.redis.url))) return null;
  const local = await startLocalRedis(config.redis.url);
  if (local === undefined) {
    io.stderr.write(
      `herald: nothing answers at ${redactUrl(config.redis.url)} and no redis-server could be started here.\n` +
        'Start one, e.g. "docker compose up -d redis" (from this repository) or "apt-get install redis-server",\n' +
        'or point REDIS_URL at yours.\n',
    );
    return undefined;
  }
  logger.info({ dir: local.dir }, 'started a local redis-server');
  io.stderr.write(`redis: nothing answered at ${redactUrl(config.redis.url)}; started redis-server with AOF in ${local.dir} (stopped when herald exits)\n`);
  return local;
}

/** `herald start`: every role in one process, with a local Redis and the example receiver if asked. */
export async function start(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, { ...COMMON_OPTIONS, receiver: { type: 'string', short: 'r' } });
  if (values.help) {
    io.stdout.write(START_HELP);
    return EXIT_OK;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  const receiverEndpoint = values.receiver === undefined ? undefined : config.endpoints.find((endpoint) => endpoint.name === values.receiver);
  if (values.receiver !== undefined) {
    const url = receiverEndpoint === undefined ? undefined : new URL(receiverEndpoint.url);
    if (url === undefined || url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) {
      io.stderr.write(`herald: --receiver ${values.receiver}: no endpoint of that name with a loopback http URL in the config\n`);
      return EXIT_USAGE;
    }
  }
  const logger = createRootLogger(config.log.level);
  const redis = await ensureRedis(config, io, logger);
  if (redis === undefined) return EXIT_USAGE;
  let receiver: { close(): Promise<void> } | undefined;
  const extra: string[] = [];
  try {
    if (receiverEndpoint !== undefined) {
      const url = new URL(receiverEndpoint.url);
      receiver = await startExampleReceiver({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80), secrets: receiverEndpoint.secrets, logger });
      extra.push(`receiver: endpoint "${receiverEndpoint.name}" at ${redactUrl(receiverEndpoint.url)} logs each delivery${receiverEndpoint.secrets.length > 0 ? ' and checks its signature' : ''}`);
    }
    if (config.endpoints.length === 0) extra.push('no endpoints configured: pass --config FILE or set HERALD_CONFIG (see docs/configuration.md)');
    return await runRoles(config, logger, new Set(['ingest', 'worker', 'board']), io, extra);
  } catch (error) {
    io.stderr.write(`herald: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  } finally {
    await receiver?.close();
    await redis?.stop();
  }
}
