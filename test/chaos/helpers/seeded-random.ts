/**
 * A seeded pseudo-random source (mulberry32), so a chaos run that finds a problem can be
 * replayed with the same choices: set HERALD_CHAOS_SEED to the seed its figures recorded.
 * Only the test's own choices (event mix, envelope sizes, kill moments) come from it; the
 * machine's timing still varies from run to run.
 */
export class SeededRandom {
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** The seed of HERALD_CHAOS_SEED when set, else a fresh one. */
  static fromEnv(): SeededRandom {
    const text = process.env['HERALD_CHAOS_SEED'];
    const seed = text !== undefined && text !== '' ? Number(text) : Math.floor(Math.random() * 2 ** 32);
    if (!Number.isInteger(seed)) throw new Error(`HERALD_CHAOS_SEED must be an integer, not "${text}"`);
    return new SeededRandom(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One of `items`, each with its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let pick = this.next() * total;
    for (const [item, weight] of items) {
      pick -= weight;
      if (pick < 0) return item;
    }
    return items.at(-1)![0];
  }
}
