import { spawnSync } from 'node:child_process';
import { askRedis as ask, pollUntil as until } from './redis-ask.js';
import { freeClusterPort, RedisServer } from './redis-server.js';

/** Options of a private Redis Cluster. */
export interface RedisClusterOptions {
  /** Masters; the hash slots are split evenly over them. @defaultValue 3 */
  masters?: number;
  /** Replicas of each master. @defaultValue 1 */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a master may be silent before its replica takes over, in ms. @defaultValue 1000 */
  nodeTimeoutMs?: number;
  /** Extra redis-server arguments for every node. @defaultValue [] */
  args?: string[];
}

/** One node as CLUSTER NODES describes it. */
export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** For a replica, the id of its master. */
  readonly masterId: string | undefined;
  /** Whether the cluster marks it failed (`fail` or `fail?`). */
  readonly failed: boolean;
}

/**
 * A Redis Cluster of the test's own on loopback: redis-server processes started with
 * `--cluster-enabled yes` on free ports (each with its bus port free too), joined by
 * `redis-cli --cluster create`. A test may SIGKILL a master and wait for its replica to
 * take over.
 */
export class RedisCluster {
  readonly servers: RedisServer[];

  private constructor(servers: RedisServer[]) {
    this.servers = servers;
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const count = masters * (1 + (options.replicasPerMaster ?? 1));
    const taken = new Set<number>();
    const servers: RedisServer[] = [];
    const cluster = new RedisCluster(servers);
    try {
      for (let n = 0; n < count; n += 1) {
        const port = await freeClusterPort(taken);
        taken.add(port);
        taken.add(port + 10_000);
        const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000), ...(options.args ?? [])];
        servers.push(await RedisServer.start({ port, args }));
      }
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...servers.map((server) => `127.0.0.1:${server.port}`), '--cluster-replicas', String(options.replicasPerMaster ?? 1), '--cluster-yes'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      await cluster.waitUntilHealthy();
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** `redis://` URLs of every node, as `redis.cluster.nodes` takes them. */
  get urls(): string[] {
    return this.servers.map((server) => server.url);
  }

  /** The cluster's nodes as the node at `port` (the first running one by default) sees them. */
  async nodes(port = this.servers.find((server) => server.running)!.port): Promise<ClusterNode[]> {
    const text = await ask(port, (redis) => redis.cluster('NODES') as Promise<string>);
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, address, flags, master] = line.split(' ') as [string, string, string, string];
        const flagList = flags.split(',');
        return {
          id,
          port: Number(/:(\d+)@/.exec(address)![1]),
          role: flagList.includes('master') ? 'master' : 'replica',
          masterId: master === '-' ? undefined : master,
          failed: flagList.includes('fail') || flagList.includes('fail?'),
        };
      });
  }

  /** Ports of the masters that are up, by the view of a running node. */
  async masterPorts(): Promise<number[]> {
    return (await this.nodes()).filter((node) => node.role === 'master' && !node.failed).map((node) => node.port);
  }

  /** Slot ranges and the port of the master serving each, as a running node sees them. */
  async shards(): Promise<{ from: number; to: number; master: number }[]> {
    const running = this.servers.find((server) => server.running)!;
    const slots = await ask(running.port, (redis) => redis.cluster('SLOTS') as unknown as Promise<[number, number, [string, number]][]>);
    return slots.map(([from, to, [, master]]) => ({ from, to, master }));
  }

  /** The replicas of the master at `port`. */
  async replicasOf(port: number): Promise<RedisServer[]> {
    const nodes = await this.nodes();
    const master = nodes.find((node) => node.port === port);
    const ports = new Set(nodes.filter((node) => node.masterId === master?.id).map((node) => node.port));
    return this.servers.filter((server) => ports.has(server.port));
  }

  /** The keys matching `pattern` that the node at `port` holds (a test's small data set only). */
  async keysOn(port: number, pattern: string): Promise<string[]> {
    return ask(port, (redis) => redis.keys(pattern));
  }

  /** The port of the master serving `key`'s hash slot. */
  async masterOf(key: string): Promise<number> {
    const running = this.servers.find((server) => server.running)!;
    const slot = await ask(running.port, (redis) => redis.cluster('KEYSLOT', key) as Promise<number>);
    const shard = (await this.shards()).find(({ from, to }) => slot >= from && slot <= to);
    if (shard === undefined) throw new Error(`no master serves slot ${slot}`);
    return shard.master;
  }

  /** Waits until every running node says `cluster_state:ok` and every replica's link is up. */
  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    await until(
      async () => {
        for (const server of this.servers.filter((candidate) => candidate.running)) {
          const info = await ask(server.port, (redis) => redis.cluster('INFO') as Promise<string>);
          if (!info.includes('cluster_state:ok')) return false;
          const replication = await ask(server.port, (redis) => redis.info('replication'));
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
        }
        return true;
      },
      'cluster_state:ok on every node',
      timeoutMs,
    );
  }

  /**
   * SIGKILLs the master at `port`, waits until a replica serves its slots and the cluster
   * is whole again, and returns the new master's port.
   */
  async killMaster(port: number, timeoutMs = 30_000, afterKill: () => void = () => {}): Promise<number> {
    const server = this.servers.find((candidate) => candidate.port === port);
    if (server === undefined) throw new Error(`no node on port ${port}`);
    const slot = (await this.shards()).find((shard) => shard.master === port)?.from;
    if (slot === undefined) throw new Error(`the node on port ${port} is not a master`);
    await server.stop('SIGKILL');
    afterKill();
    let successor = 0;
    await until(
      async () => {
        const shard = (await this.shards()).find(({ from, to }) => slot >= from && slot <= to);
        if (shard === undefined || shard.master === port) return false;
        successor = shard.master;
        const info = await ask(successor, (redis) => redis.cluster('INFO') as Promise<string>);
        return info.includes('cluster_state:ok');
      },
      `a replica to take over from the master on ${port}`,
      timeoutMs,
    );
    return successor;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.destroy()));
  }
}
