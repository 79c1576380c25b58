import { median } from './statistics.js';

/** A figure measured `runs.length` times; `median` is the one the table shows. */
export interface Measured {
  median: number;
  runs: number[];
}

/** Rounds for the JSON: 3 significant decimals below 10, integers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  if (Math.abs(value) >= 10) return Math.round(value * 10) / 10;
  return Math.round(value * 1000) / 1000;
}

export function measured(runs: readonly number[]): Measured {
  return { median: round(median(runs)), runs: runs.map(round) };
}

/** Runs `measure` `times` times in a row and collects its figure. */
export async function repeat(times: number, measure: (run: number) => Promise<number>): Promise<Measured> {
  const runs: number[] = [];
  for (let run = 0; run < times; run += 1) runs.push(await measure(run));
  return measured(runs);
}

/** The run whose `key` is the median of all runs (its other figures go with it). */
export function medianRun<T>(runs: readonly T[], key: (run: T) => number): T {
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
