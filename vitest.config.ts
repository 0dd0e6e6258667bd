import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The fault tier breaks servers: `npm run test:faults` (vitest.faults.config.ts).
    exclude: ['**/node_modules/**', 'test/faults/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits up to 10 s (vitest's default is 1 s): the browser tests poll pages that
    // refresh every 1-2 s, and CI runs them beside the whole suite on 2 cores. A poll that
    // succeeds returns at once; only a failing one waits the whole time.
    expect: { poll: { timeout: 10_000 } },
  },
});
