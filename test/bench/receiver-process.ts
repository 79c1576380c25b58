import { NodeProcess } from './node-process.js';

/** What the receiver counted since its last reset. */
export interface ReceiverTally {
  /** POST requests answered. */
  requests: number;
  /** Events they held, duplicates included. */
  events: number;
  duplicates: number;
  errors: number;
  byPath: Record<string, number>;
  /** Wall-clock ms of the first and last delivery. */
  first: number | undefined;
  last: number | undefined;
}

/**
 * The loopback webhook receiver (receiver.ts) in its own process, and the client of
 * its control endpoints. Endpoint `n` of a run is `url(n)`: one server, one path each.
 */
export class ReceiverProcess {
  readonly #process: NodeProcess;
  readonly base: string;

  private constructor(process: NodeProcess, base: string) {
    this.#process = process;
    this.base = base;
  }

  static async start(): Promise<ReceiverProcess> {
    const process = NodeProcess.script('./receiver.ts');
    const match = await process.waitFor(/receiver: (http:\/\/\S+)/);
    return new ReceiverProcess(process, match[1]!);
  }

  get pid(): number | undefined {
    return this.#process.child.pid;
  }

  /** The URL of endpoint `n`. */
  url(n: number): string {
    return `${this.base}/hook/${n}`;
  }

  async reset(): Promise<void> {
    await this.#call('/_bench/reset', 'POST');
  }

  async stats(): Promise<ReceiverTally> {
    return (await this.#call('/_bench/stats')) as ReceiverTally;
  }

  /** Resolves once `events` events arrived, however many per request; throws with the tally after `timeoutMs`. */
  async waitFor(events: number, timeoutMs: number): Promise<ReceiverTally> {
    const tally = (await this.#call(`/_bench/wait?events=${events}&timeoutMs=${timeoutMs}`)) as ReceiverTally;
    if (tally.events < events) {
      throw new Error(`receiver got ${tally.events} of ${events} events within ${timeoutMs} ms`);
    }
    return tally;
  }

  /** First arrival of each event id: [path, id, wall-clock ms]. */
  async arrivals(): Promise<[string, string, number][]> {
    return (await this.#call('/_bench/arrivals')) as [string, string, number][];
  }

  async stop(): Promise<void> {
    await this.#process.stop();
  }

  async #call(path: string, method = 'GET'): Promise<unknown> {
    const response = await fetch(`${this.base}${path}`, { method, signal: AbortSignal.timeout(10 * 60_000) });
    if (!response.ok) throw new Error(`receiver ${path}: ${response.status}`);
    return response.json();
  }
}
