import { HeraldProcess } from '../../helpers/herald-process.js';

/** Environment of a `herald worker` or `herald ingest` process: HERALD_* only, port 0, warn logs. */
export function heraldEnv(options: { redisUrl: string; prefix: string; endpoints?: Record<string, unknown>[]; extra?: Record<string, string> }): Record<string, string> {
  return {
    HERALD_REDIS_URL: options.redisUrl,
    HERALD_REDIS_PREFIX: options.prefix,
    HERALD_HTTP_HOST: '127.0.0.1',
    HERALD_HTTP_PORT: '0',
    HERALD_LOG_LEVEL: 'warn',
    HERALD_ENDPOINTS: JSON.stringify(options.endpoints ?? []),
    ...options.extra,
  };
}

/** Starts `herald <role>` and waits for the lines saying it runs and where. */
export async function startHerald(role: 'worker' | 'ingest', env: Record<string, string>, timeoutMs = 30_000): Promise<HeraldProcess> {
  const process = new HeraldProcess([role], env);
  try {
    await process.waitFor(role === 'worker' ? 'worker: delivering to' : 'ingest: POST events to', timeoutMs);
    // The health line comes last, possibly in a later chunk: baseUrlOf reads it.
    await process.waitFor('health: ', timeoutMs);
  } catch (error) {
    await stopHerald(process, 'SIGKILL');
    throw error;
  }
  return process;
}

/** The process's base URL, from its `health:` line. */
export function baseUrlOf(process: HeraldProcess): string {
  const match = /health: (http:\/\/[^/\s]+)\/healthz/.exec(process.output.join(''));
  if (match === null) throw new Error(`no health line in:\n${process.output.join('')}`);
  return match[1]!;
}

/** Stops a process with `signal`, SIGKILLing it if it has not exited within `timeoutMs`. */
export async function stopHerald(process: HeraldProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    process.child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const exit = await process.stop(signal);
    return { ...exit, killed };
  } finally {
    clearTimeout(timer);
  }
}

/** The JSON log lines a process printed so far, parsed; other lines are skipped. */
export function logLines(process: HeraldProcess): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of process.output.join('').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the end of the output so far
    }
  }
  return lines;
}
