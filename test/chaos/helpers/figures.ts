import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SCALE } from './scale.js';

const FILE = new URL(`../results-${SCALE}.json`, import.meta.url);

/**
 * Records a scenario's measured figures (counts, rates, lost, duplicates, times) in
 * test/chaos/results-<scale>.json, merged by scenario name, with the time of the run,
 * so docs/reliability.md can quote a real run.
 */
export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  const all = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>) : {};
  all[scenario] = { ...figures, scale: SCALE, recordedAt: new Date().toISOString() };
  writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`chaos ${scenario}: ${JSON.stringify(figures)}`);
}
