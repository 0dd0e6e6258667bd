import { defineConfig } from 'vitest/config';

/**
 * The fault tier (`npm run test:faults`): test/faults/, which `npm test` leaves out. It stops,
 * kills and restarts servers and hubs, one scenario at a time.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
