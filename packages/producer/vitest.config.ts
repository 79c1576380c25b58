import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'producer', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
