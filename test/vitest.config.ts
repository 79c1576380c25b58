import { defineProject } from 'vitest/config';

// Cross-package suites: spawned herald processes, SIGKILL, a real registry.
export default defineProject({
  test: { name: 'e2e', include: ['e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
});
