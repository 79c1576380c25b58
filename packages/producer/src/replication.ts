import { Cluster, type Redis } from 'ioredis';

/**
 * Waits until at least one replica of every master this client wrote to holds its writes
 * (Redis `WAIT 1 <timeoutMs>`, on each connection that carried them: a Cluster's masters,
 * or the one connection), or the timeout passes. Returns the fewest replicas that
 * confirmed on any master: 0 means some writes could be lost in a failover.
 */
export async function replicasConfirming(client: Redis | Cluster, timeoutMs: number): Promise<number> {
  // WAIT 0 would block forever; a deadline that has passed still gets a millisecond.
  const timeout = Math.max(1, Math.round(timeoutMs));
  const connections = client instanceof Cluster ? client.nodes('master') : [client];
  const counts = await Promise.all(connections.map((connection) => connection.call('WAIT', 1, timeout) as Promise<number>));
  return Math.min(...counts);
}
