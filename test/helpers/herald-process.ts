import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../packages/cli/bin/herald.js', import.meta.url));

/**
 * A `herald` command run as its own process, as an operator runs it. The test may
 * SIGKILL it at any moment, or SIGTERM it and wait for its exit code.
 */
export class HeraldProcess {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Waits until the process has printed `text`. */
  async waitFor(text: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.join('').includes(text)) {
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`herald did not print "${text}":\n${this.output.join('')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/**
 * Runs a `herald` command to its end without blocking this process (whose receivers must
 * keep answering), with only PATH and `env` in its environment.
 */
export function runHerald(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/**
 * The environment of a `herald` process in a test: the shared Redis under the test's own
 * prefix, any free port for its HTTP server, and `extra` on top.
 */
export function heraldEnv(redisUrl: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return { HERALD_REDIS_URL: redisUrl, HERALD_REDIS_PREFIX: prefix, HERALD_HTTP_PORT: '0', ...extra };
}
