import type { Parameters } from 'fast-check';

/**
 * How many cases the property-based (fuzz) tests generate, and how to replay one.
 *
 * - `HERALD_FUZZ_RUNS`: the total over every property, split by each property's share
 *   (default 5,000: what `npm test` runs; the full run is 100,000).
 * - `HERALD_FUZZ_SEED` and `HERALD_FUZZ_PATH`: replay a failure. fast-check prints both
 *   (`{ seed: …, path: "…" }`) with the counterexample; give them back with `-t '<test name>'`
 *   so that only the property that failed runs.
 */

/** Cases over all properties when HERALD_FUZZ_RUNS is not set. */
export const DEFAULT_FUZZ_RUNS = 5000;

function integerFrom(name: string, fallback: number | undefined): number | undefined {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, not ${JSON.stringify(text)}`);
  return value;
}

/** Total cases over every property: HERALD_FUZZ_RUNS, else DEFAULT_FUZZ_RUNS. */
export function totalFuzzRuns(): number {
  return Math.max(1, integerFrom('HERALD_FUZZ_RUNS', DEFAULT_FUZZ_RUNS)!);
}

/**
 * fast-check parameters of one property that gets `share` of the total (the shares of
 * every property add up to 1): its number of runs, and the seed and path to replay.
 */
export function fuzzParameters<T>(share: number): Parameters<T> {
  const seed = integerFrom('HERALD_FUZZ_SEED', undefined);
  const path = process.env['HERALD_FUZZ_PATH'];
  return {
    numRuns: Math.max(1, Math.round(totalFuzzRuns() * share)),
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined || path === '' ? {} : { path }),
  };
}

/** A vitest timeout for a property of `share` that takes about `msPerRun` a case (at least 30 s). */
export function fuzzTimeout(share: number, msPerRun: number): number {
  return Math.max(30_000, Math.round(totalFuzzRuns() * share * msPerRun * 3));
}
