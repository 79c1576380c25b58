import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HERALD_BIN = fileURLToPath(new URL('../../packages/cli/bin/herald.js', import.meta.url));

/**
 * A Node process the benchmark starts with only the environment given, whose output
 * it watches and which it stops by pid. Node options such as --cpu-prof go on the
 * command line: Node 20 refuses them in NODE_OPTIONS.
 */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO });
    this.child.stdout!.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** A benchmark TypeScript script (`test/bench/<name>.ts`), run through tsx. */
  static script(script: string, env: Record<string, string> = {}, nodeArgs: string[] = []): NodeProcess {
    return new NodeProcess([...nodeArgs, '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))], env);
  }

  /** A `herald` command (`worker`, `ingest`), as an operator runs it. */
  static herald(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): NodeProcess {
    return new NodeProcess([...nodeArgs, HERALD_BIN, ...args], env);
  }

  /** Waits until the process printed a line matching `pattern`; returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.output.join('').match(pattern);
      if (match !== null) return match;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`process did not print ${pattern}:\n${this.output.join('')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends a signal to this process (by pid) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
