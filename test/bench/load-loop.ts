/** Wall-clock time in ms with sub-ms precision, comparable with the receiver process's. */
export const now = (): number => performance.timeOrigin + performance.now();

/**
 * A closed-loop load: `workers` callers, each awaiting its `step` before the next,
 * until a step returns false (the shared budget is spent).
 */
export async function concurrently(workers: number, step: () => Promise<boolean>): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (await step());
    }),
  );
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
