import { defineConfig } from 'vitest/config';

// Each package is a vitest project; test/ holds the cross-package suites.
// Files run one at a time: Redis-backed tests share one server.
export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
    fileParallelism: false,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
