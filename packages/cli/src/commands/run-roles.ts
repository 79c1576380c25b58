import { ConfigError, type HeraldConfig } from '@herald/config';
import { formatConfigError } from '../command-line.js';
import type { Logger } from 'pino';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import type { CommandIo } from '../io.js';
import { startRoles, type Role } from '../roles.js';
import { untilSignal } from '../signals.js';
import { listenForReload } from '../live-reload.js';

/** Extra margin, in ms, past the slowest endpoint timeout before a stuck shutdown is cut short. */
const SHUTDOWN_MARGIN_MS = 10_000;

/**
 * Runs roles until SIGTERM or SIGINT: prints one line per role to stderr, reloads the
 * config on SIGHUP or `herald reload`, then on a signal stops taking work, finishes what
 * is in flight and exits 0. Deliveries still
 * running past the bound are abandoned; other workers retry them.
 */
export async function runRoles(config: HeraldConfig, logger: Logger, roles: ReadonlySet<Role>, io: CommandIo, extraLines: string[] = []): Promise<number> {
  let running;
  try {
    running = await startRoles(config, logger, roles);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(formatConfigError(error, config.source.file));
      return EXIT_USAGE;
    }
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? `http.port ${config.http.port} on ${config.http.host} is in use (set http.port or HERALD_HTTP_PORT)` : (error as Error).message;
    logger.error({ err: error }, 'start-up failed');
    io.stderr.write(`herald: cannot start: ${reason}\n`);
    return EXIT_FAILURE;
  }
  for (const line of [...running.lines, ...extraLines]) io.stderr.write(`${line}\n`);
  logger.info({ roles: [...roles], url: running.url }, 'herald started');
  const reloads = listenForReload(config, running, logger);
  const signal = await untilSignal(['SIGTERM', 'SIGINT']);
  await reloads.stop();
  // The endpoints running now, after any reload, bound the wait for their deliveries.
  const boundMs = Math.max(0, ...reloads.current().endpoints.map((endpoint) => endpoint.timeoutMs)) + SHUTDOWN_MARGIN_MS;
  logger.info({ signal, boundMs }, 'stopping after work in flight');
  const cutShort = setTimeout(() => {
    logger.warn({ boundMs }, 'shutdown took too long; exiting, unfinished deliveries are retried by other workers');
    process.exit(EXIT_FAILURE);
  }, boundMs);
  cutShort.unref();
  await running.close();
  clearTimeout(cutShort);
  logger.info('herald stopped');
  logger.flush();
  return EXIT_OK;
}
