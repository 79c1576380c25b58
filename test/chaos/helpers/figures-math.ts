/** The p-th percentile (nearest rank) of some numbers; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** How many ids occur more than once, counting each extra copy. */
export function duplicatesOf(ids: readonly string[]): number {
  return ids.length - new Set(ids).size;
}

/** Ids of `want` missing from `got`, and ids of `got` not in `want`, at most 10 of each, for failure messages. */
export function setDifference(want: Iterable<string>, got: Iterable<string>): { missing: string[]; unexpected: string[]; missingCount: number; unexpectedCount: number } {
  const wantSet = new Set(want);
  const gotSet = new Set(got);
  const missing = [...wantSet].filter((id) => !gotSet.has(id));
  const unexpected = [...gotSet].filter((id) => !wantSet.has(id));
  return { missing: missing.slice(0, 10), unexpected: unexpected.slice(0, 10), missingCount: missing.length, unexpectedCount: unexpected.length };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every 25 ms (or `everyMs`) until it holds; throws after `timeoutMs`, naming `what`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs}ms`);
    await sleep(everyMs);
  }
}
