import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { askRedis, pollUntil as until } from './redis-ask.js';
import { freePort, RedisServer } from './redis-server.js';

/** Options of a private Sentinel setup. */
export interface RedisSentinelOptions {
  /** The name Sentinel monitors the master under (`redis.sentinel.name`). @defaultValue 'herald' */
  name?: string;
  /** Sentinels; a quorum of two decides a failover. @defaultValue 3 */
  sentinels?: number;
  /** `down-after-milliseconds`: how long the master may be silent before a failover. @defaultValue 1000 */
  downAfterMs?: number;
  /** Extra redis-server arguments for the master and the replica. @defaultValue [] */
  args?: string[];
}

/**
 * One master, one replica and three Sentinels of the test's own, on free loopback ports.
 * A test may SIGKILL the master and wait until the Sentinels have promoted the replica.
 */
export class RedisSentinel {
  readonly name: string;
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinelPorts: number[];
  readonly #sentinels: ChildProcess[];
  readonly #dir: string;

  private constructor(name: string, master: RedisServer, replica: RedisServer, sentinelPorts: number[], sentinels: ChildProcess[], dir: string) {
    this.name = name;
    this.master = master;
    this.replica = replica;
    this.sentinelPorts = sentinelPorts;
    this.#sentinels = sentinels;
    this.#dir = dir;
  }

  static async start(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
    const name = options.name ?? 'herald';
    const master = await RedisServer.start({ args: options.args ?? [] });
    const replica = await RedisServer.start({ args: [...(options.args ?? []), '--replicaof', '127.0.0.1', String(master.port)] });
    const dir = mkdtempSync(join(tmpdir(), 'herald-sentinel-'));
    const ports: number[] = [];
    const sentinels: ChildProcess[] = [];
    const setup = new RedisSentinel(name, master, replica, ports, sentinels, dir);
    try {
      for (let n = 0; n < (options.sentinels ?? 3); n += 1) {
        const port = await freePort();
        // Sentinel rewrites its config file as it learns, so each gets a file of its own.
        const file = join(dir, `sentinel-${port}.conf`);
        writeFileSync(
          file,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
            `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
            `sentinel failover-timeout ${name} 10000`,
            `sentinel parallel-syncs ${name} 1`,
            '',
          ].join('\n'),
        );
        ports.push(port);
        sentinels.push(spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' }));
      }
      await until(async () => (await setup.#replicaLinked()) && (await setup.#sentinelsKnowEachOther()), 'sentinels to see the master, the replica and each other', 30_000);
      return setup;
    } catch (error) {
      await setup.destroy();
      throw error;
    }
  }

  /** `redis://` URLs of the Sentinels, as `redis.sentinel.nodes` takes them. */
  get urls(): string[] {
    return this.sentinelPorts.map((port) => `redis://127.0.0.1:${port}`);
  }

  /** The port of the master the Sentinels name now. */
  async masterPort(): Promise<number> {
    const [, port] = await this.#askSentinel((sentinel) => sentinel.call('SENTINEL', 'get-master-addr-by-name', this.name) as Promise<[string, string]>);
    return Number(port);
  }

  /**
   * SIGKILLs the master, runs `afterKill` (to thaw a paused replica, say), and waits until
   * the Sentinels name the replica as master and it accepts writes.
   */
  async killMaster(timeoutMs = 30_000, afterKill: () => void = () => {}): Promise<void> {
    await this.master.stop('SIGKILL');
    afterKill();
    await until(
      async () => {
        if ((await this.masterPort()) !== this.replica.port) return false;
        return (await askRedis(this.replica.port, (promoted) => promoted.info('replication'))).includes('role:master');
      },
      'the replica to be promoted',
      timeoutMs,
    );
  }

  async destroy(): Promise<void> {
    await Promise.all(
      this.#sentinels.map(
        (sentinel) =>
          new Promise<void>((resolve) => {
            if (sentinel.exitCode !== null || sentinel.signalCode !== null) return resolve();
            sentinel.once('exit', () => resolve());
            sentinel.kill('SIGKILL');
          }),
      ),
    );
    await Promise.all([this.master.destroy(), this.replica.destroy()]);
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #askSentinel<T>(run: (sentinel: Redis) => Promise<T>, port = this.sentinelPorts[0]!): Promise<T> {
    return askRedis(port, run);
  }

  async #replicaLinked(): Promise<boolean> {
    return (await askRedis(this.replica.port, (probe) => probe.info('replication'))).includes('master_link_status:up');
  }

  async #sentinelsKnowEachOther(): Promise<boolean> {
    for (const port of this.sentinelPorts) {
      const master = await this.#askSentinel((sentinel) => sentinel.call('SENTINEL', 'master', this.name) as Promise<string[]>, port);
      const field = (key: string) => master[master.indexOf(key) + 1];
      if (Number(field('num-other-sentinels')) < this.sentinelPorts.length - 1 || Number(field('num-slaves')) < 1) return false;
    }
    return true;
  }
}
