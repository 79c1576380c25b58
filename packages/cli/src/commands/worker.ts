import { redactUrl } from '@herald/config';
import { startWorker } from '@herald/worker';
import { COMMON_OPTIONS, loadCommandConfig, parseOptions } from '../command-line.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { createRootLogger } from '../logger.js';
import { untilSignal } from '../signals.js';

export const WORKER_HELP = `Usage: herald worker [--config FILE]

Delivers events: fans envelopes out of the ingress queue to each endpoint's queue and
POSTs them to the endpoints, with retries. Run as many as you like against the same
Redis; they share the work. SIGTERM or SIGINT stops it after the deliveries in flight.

Options:
  -c, --config FILE   config file (default: $HERALD_CONFIG, else defaults only)
  -h, --help          show this help
`;

/** `herald worker`: run fan-out and delivery until a signal. */
export async function worker(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, COMMON_OPTIONS);
  if (values.help) {
    io.stdout.write(WORKER_HELP);
    return EXIT_OK;
  }
  const config = loadCommandConfig(values.config, io);
  if (config === undefined) return EXIT_USAGE;
  const logger = createRootLogger(config.log.level);
  const running = await startWorker({ config, logger, lockDurationMs: config.worker.lockDurationMs });
  const names = running.endpoints.join(', ') || 'no endpoints';
  logger.info({ endpoints: running.endpoints, redis: redactUrl(config.redis.url), prefix: config.redis.prefix }, 'worker started');
  io.stderr.write(`worker: delivering to ${names} from ${redactUrl(config.redis.url)} (prefix "${config.redis.prefix}")\n`);
  const signal = await untilSignal(['SIGTERM', 'SIGINT']);
  logger.info({ signal }, 'worker stopping after deliveries in flight');
  await running.close();
  logger.info('worker stopped');
  logger.flush();
  return EXIT_OK;
}
