import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type HeraldConfig } from '@herald/config';
import { reconnectDelayMs } from '@herald/producer';
import type { RunningRoles } from './roles.js';

/** The Redis channel `herald reload` publishes on; every running process of the prefix listens. */
export function reloadChannel(prefix: string): string {
  return `${prefix}:reload`;
}

/**
 * Reloads a running process's config on SIGHUP, or when `herald reload` asks the fleet
 * through Redis: re-reads the file it started with (and the same environment), refuses a
 * bad one naming each key (the running config is kept), and applies a good one without
 * dropping work in flight. Returns the config now running, and how to stop listening.
 */
export function listenForReload(config: HeraldConfig, running: RunningRoles, logger: Logger): { current(): HeraldConfig; stop(): Promise<void> } {
  let applied = config;
  const log = logger.child({ component: 'reload' });
  let queue: Promise<void> = Promise.resolve();
  const reload = (trigger: string) => {
    queue = queue.then(async () => {
      let next: HeraldConfig;
      try {
        next = loadConfig({ ...(config.source.file === undefined ? {} : { file: config.source.file }), env: process.env });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        // Keys and reasons only: a value may be a secret.
        log.error({ trigger, problems: error.problems }, `config reload refused, the running config is kept: ${error.problems.map((problem) => problem.key).join(', ')}`);
        return;
      }
      const result = await running.reload(next);
      applied = next;
      log.info({ trigger, added: result.added, removed: result.removed, changed: result.changed }, 'config reloaded');
      if (result.restartNeeded.length > 0) {
        log.warn({ keys: result.restartNeeded }, `config reloaded, but ${result.restartNeeded.join(', ')} take effect only at the next start`);
      }
    }).catch((error: unknown) => log.error({ err: error, trigger }, 'config reload failed'));
  };
  const onHangup = () => reload('SIGHUP');
  process.on('SIGHUP', onHangup);
  const subscriber = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: reconnectDelayMs });
  subscriber.on('error', () => {});
  subscriber.on('message', () => reload('herald reload'));
  subscriber.subscribe(reloadChannel(config.redis.prefix)).catch((error: unknown) => log.warn({ err: error }, 'cannot listen for herald reload; SIGHUP still reloads'));
  return {
    current: () => applied,
    stop: async () => {
      process.off('SIGHUP', onHangup);
      subscriber.disconnect();
      await queue;
    },
  };
}
