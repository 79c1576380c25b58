import { defineProject } from 'vitest/config';

// Many tests spawn `herald`, about a second each on a busy machine: the default 5 s is too tight.
export default defineProject({
  test: { name: 'cli', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 30_000 },
});
