import { NodeProcess } from './node-process.js';

/** What every Herald process of one measurement shares. */
export interface HeraldSettings {
  redisUrl: string;
  /** The Redis as HERALD_REDIS_* variables instead of `redisUrl` (a cluster: HERALD_REDIS_CLUSTER_NODES). @defaultValue HERALD_REDIS_URL=redisUrl */
  redisEnv?: Record<string, string>;
  /** A prefix of this measurement's own. */
  prefix: string;
  /** `worker.concurrency`: deliveries in flight per endpoint per process, and fan-out jobs in flight. */
  concurrency: number;
  /** `maxbatch` of every endpoint. @defaultValue 1 */
  maxBatch?: number;
  /** Endpoint URLs; endpoint n is named `bench-n`. */
  endpoints: string[];
  /** Node options of the processes, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/** Name of endpoint n in the config Herald is given. */
export const endpointName = (n: number) => `bench-${n}`;

/** Herald's configuration as HERALD_* variables, the way an operator sets it in a container. */
function heraldEnv(settings: HeraldSettings): Record<string, string> {
  return {
    ...(settings.redisEnv ?? { HERALD_REDIS_URL: settings.redisUrl }),
    HERALD_REDIS_PREFIX: settings.prefix,
    HERALD_HTTP_PORT: '0',
    HERALD_LOG_LEVEL: 'info',
    HERALD_WORKER_CONCURRENCY: String(settings.concurrency),
    HERALD_ENDPOINTS: JSON.stringify(settings.endpoints.map((url, n) => ({ name: endpointName(n), url, maxbatch: settings.maxBatch ?? 1 }))),
  };
}

/** Starts `count` `herald worker` processes and waits until each delivers. */
export async function startHeraldWorkers(settings: HeraldSettings, count: number): Promise<NodeProcess[]> {
  const workers = Array.from({ length: count }, () => NodeProcess.herald(['worker'], heraldEnv(settings), settings.nodeArgs));
  try {
    await Promise.all(workers.map((worker) => worker.waitFor(/worker: delivering to/, 30_000)));
  } catch (error) {
    await stopAll(workers);
    throw error;
  }
  return workers;
}

/** Starts `herald ingest` and returns it with the URL registries POST to. */
export async function startHeraldIngest(settings: HeraldSettings): Promise<{ process: NodeProcess; url: string }> {
  const process = NodeProcess.herald(['ingest'], heraldEnv(settings), settings.nodeArgs);
  try {
    const match = await process.waitFor(/ingest: POST events to (http:\/\/\S+\/events)/, 30_000);
    return { process, url: match[1]! };
  } catch (error) {
    await process.stop('SIGKILL');
    throw error;
  }
}

/** Stops processes by pid with SIGTERM (graceful: a --cpu-prof profile is written), SIGKILL after 20 s. */
export async function stopAll(processes: readonly NodeProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (process) => {
      const killer = setTimeout(() => void process.stop('SIGKILL'), 20_000);
      try {
        await process.stop('SIGTERM');
      } finally {
        clearTimeout(killer);
      }
    }),
  );
}
