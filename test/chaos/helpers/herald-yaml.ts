import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One endpoint of a chaos config, with distribution's keys. */
export interface ChaosEndpoint {
  name: string;
  url: string;
  /** Go duration, e.g. `1s`; at most half of lockDurationMs. */
  timeout: string;
  /** Go duration. @defaultValue '100ms' */
  backoff?: string;
  concurrency?: number;
  ignore?: { readonly actions?: readonly string[]; readonly mediatypes?: readonly string[] };
}

/** What a chaos scenario configures; everything else is Herald's default. */
export interface ChaosConfig {
  redisUrl: string;
  prefix: string;
  /** worker.lockDurationMs: how soon a killed worker's jobs run again. */
  lockDurationMs: number;
  /** worker.concurrency. */
  concurrency: number;
  /** @defaultValue 'warn' */
  logLevel?: string;
  endpoints: ChaosEndpoint[];
}

/**
 * Writes a Herald config file (JSON, which Herald's YAML reader takes) in `dir` and returns
 * its path. `http.port: 0` lets every process take a free port.
 */
export function writeHeraldConfig(dir: string, name: string, config: ChaosConfig): string {
  const file = join(dir, `${name}.yml`);
  const document = {
    redis: { url: config.redisUrl, prefix: config.prefix },
    http: { host: '127.0.0.1', port: 0 },
    worker: { concurrency: config.concurrency, lockDurationMs: config.lockDurationMs },
    log: { level: config.logLevel ?? 'warn' },
    endpoints: config.endpoints.map((endpoint) => ({ backoff: '100ms', ...endpoint })),
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}
