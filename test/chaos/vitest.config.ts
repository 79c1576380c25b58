import { defineConfig } from 'vitest/config';

// The reliability suite (npm run test:chaos): each file tries to lose events and
// asserts that it cannot. HERALD_CHAOS_SCALE=ci runs the documented CI subset.
export default defineConfig({
  test: {
    name: 'chaos',
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
    reporters: ['default', '../summary-reporter.ts'],
  },
});
