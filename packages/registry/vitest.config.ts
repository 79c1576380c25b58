import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'registry', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
