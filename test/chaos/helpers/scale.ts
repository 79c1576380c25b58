/**
 * How big the chaos scenarios run. `full` is the published run (docs/reliability.md);
 * `ci` is the subset CI runs on every submission (HERALD_CHAOS_SCALE=ci), same
 * scenarios with smaller counts, documented in docs/reliability.md.
 */
export const SCALE: 'full' | 'ci' = process.env['HERALD_CHAOS_SCALE'] === 'ci' ? 'ci' : 'full';

/** The full-run figure, or the CI one. */
export function scaled<T>(full: T, ci: T): T {
  return SCALE === 'ci' ? ci : full;
}
