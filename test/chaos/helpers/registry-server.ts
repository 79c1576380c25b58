import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from '../../helpers/redis-server.js';

/** The path of an executable on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A registry binary found on PATH, and what its `--version` says. */
export interface RegistryBinary {
  readonly path: string;
  /** e.g. `docker-registry github.com/docker/distribution 2.8.2+ds1` */
  readonly version: string;
}

/**
 * The docker/distribution registry binary: Debian's package installs it as
 * `docker-registry`, an upstream build as `registry`. Only a binary whose
 * `--version` names distribution counts (another `registry` may be on PATH).
 */
export function findRegistryBinary(): RegistryBinary | undefined {
  for (const name of ['docker-registry', 'registry']) {
    const path = findOnPath(name);
    if (path === undefined) continue;
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      if (version.includes('distribution')) return { path, version };
    } catch {
      // not a registry we can run
    }
  }
  return undefined;
}

/** One entry of the registry's `notifications.endpoints`. */
export interface RegistryEndpoint {
  name: string;
  url: string;
  headers?: Record<string, string[]>;
  /** Go duration. @defaultValue '2s' */
  timeout?: string;
  /** @defaultValue 3 */
  threshold?: number;
  /** Go duration. @defaultValue '250ms' */
  backoff?: string;
}

/** The registry's own delivery counters for one notifications endpoint (its /debug/vars). */
export interface RegistryEndpointMetrics {
  Pending: number;
  Events: number;
  Successes: number;
  Failures: number;
  Errors: number;
  Statuses: Record<string, number>;
}

/** Options of RegistryServer.start. */
export interface RegistryServerOptions {
  /** Where config.yml, the storage and nothing else go; the caller removes it. */
  dir: string;
  endpoints: RegistryEndpoint[];
  /** `notifications.events.includereferences`. @defaultValue true */
  includeReferences?: boolean;
}

const LOG_LINES_KEPT = 400;

/**
 * A docker/distribution registry of the test's own: `<binary> serve config.yml` on a
 * free loopback port, plain HTTP, filesystem storage in `dir`, deletes enabled, and
 * its notifications sent to `endpoints`. Its debug server (a second free port) serves
 * /debug/vars, where the registry counts what each endpoint accepted.
 */
export class RegistryServer {
  readonly port: number;
  readonly debugPort: number;
  readonly configFile: string;
  readonly #process: ChildProcess;
  readonly #log: string[] = [];
  readonly exited: Promise<void>;

  private constructor(binary: string, port: number, debugPort: number, configFile: string) {
    this.port = port;
    this.debugPort = debugPort;
    this.configFile = configFile;
    this.#process = spawn(binary, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.#log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.#log.length > LOG_LINES_KEPT) this.#log.splice(0, this.#log.length - LOG_LINES_KEPT);
    };
    this.#process.stdout!.on('data', keep);
    this.#process.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.#process.once('exit', () => resolve()));
  }

  static async start(binary: string, options: RegistryServerOptions): Promise<RegistryServer> {
    const [port, debugPort] = [await freePort(), await freePort()];
    const storage = join(options.dir, 'storage');
    mkdirSync(storage, { recursive: true });
    const configFile = join(options.dir, 'config.yml');
    const endpoints = options.endpoints.flatMap((endpoint) => [
      `    - name: ${JSON.stringify(endpoint.name)}`,
      `      url: ${JSON.stringify(endpoint.url)}`,
      ...(endpoint.headers === undefined ? [] : [`      headers: ${JSON.stringify(endpoint.headers)}`]),
      `      timeout: ${endpoint.timeout ?? '2s'}`,
      `      threshold: ${endpoint.threshold ?? 3}`,
      `      backoff: ${endpoint.backoff ?? '250ms'}`,
    ]);
    writeFileSync(
      configFile,
      [
        'version: 0.1',
        'log:',
        '  level: info',
        '  accesslog: { disabled: true }',
        'storage:',
        `  filesystem: { rootdirectory: ${JSON.stringify(storage)} }`,
        '  delete: { enabled: true }',
        '  cache: { blobdescriptor: inmemory }',
        'http:',
        `  addr: 127.0.0.1:${port}`,
        `  debug: { addr: "127.0.0.1:${debugPort}" }`,
        'notifications:',
        `  events: { includereferences: ${options.includeReferences ?? true} }`,
        '  endpoints:',
        ...endpoints,
        '',
      ].join('\n'),
    );
    const server = new RegistryServer(binary, port, debugPort, configFile);
    try {
      await server.#waitReady();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** `127.0.0.1:<port>`, as image references spell it. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** The last lines the registry logged. */
  log(): string {
    return this.#log.join('\n');
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (this.#process.exitCode !== null || this.#process.signalCode !== null) {
        throw new Error(`registry exited before it served /v2/:\n${this.log()}`);
      }
      try {
        const [api, debug] = await Promise.all([fetch(`http://${this.host}/v2/`), fetch(`http://127.0.0.1:${this.debugPort}/debug/vars`)]);
        if (api.status === 200 && debug.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`registry did not serve /v2/ within 15s:\n${this.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The registry's counters for each notifications endpoint, by name. */
  async endpointMetrics(): Promise<Map<string, RegistryEndpointMetrics>> {
    const vars = (await (await fetch(`http://127.0.0.1:${this.debugPort}/debug/vars`)).json()) as {
      registry: { notifications: { endpoints: { name: string; Metrics: RegistryEndpointMetrics }[] } };
    };
    return new Map(vars.registry.notifications.endpoints.map((endpoint) => [endpoint.name, endpoint.Metrics]));
  }

  /**
   * Waits until the registry has nothing left to send: on every endpoint no event is
   * pending and each one it queued was accepted (2xx/3xx), and the counters stayed so
   * for 150ms. The registry retries a failing endpoint forever, so a stuck endpoint
   * ends this with an error naming its counters.
   */
  async settled(timeoutMs = 30_000): Promise<Map<string, RegistryEndpointMetrics>> {
    const deadline = Date.now() + timeoutMs;
    let metrics = await this.endpointMetrics();
    let quietSince = 0;
    let last = '';
    for (;;) {
      const snapshot = JSON.stringify([...metrics]);
      const done = [...metrics.values()].every((m) => m.Pending === 0 && m.Successes === m.Events);
      if (done && snapshot === last) {
        // Unchanged for 150ms: no event was still on its way into the registry's queues.
        if (Date.now() - quietSince >= 150) return metrics;
      } else {
        quietSince = Date.now();
      }
      last = snapshot;
      if (Date.now() > deadline) throw new Error(`registry still has events to send after ${timeoutMs}ms: ${snapshot}\n${this.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
      metrics = await this.endpointMetrics();
    }
  }

  /** Stops the registry by its pid: SIGTERM, then SIGKILL if it is still there after 5s. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
