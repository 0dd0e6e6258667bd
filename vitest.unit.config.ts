import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The unit tier (`npm run test:unit`): what `npm test` runs that needs no server (PostgreSQL,
 * Redis, NATS), no browser (Chromium), no build (`dist/`) and no child processes, without the
 * fuzzers: under a minute on 2 cores. The whole suite stays `npm test`.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        '**/node_modules/**',
        'test/faults/**',
        // Servers.
        'test/postgres-*.test.ts',
        'test/redis-*.test.ts',
        'test/nats-*.test.ts',
        'test/scale-out.test.ts',
        'test/log-dedupe-store.test.ts',
        // Chromium.
        'test/dashboard-*.test.ts',
        'test/*browser*.test.ts',
        'test/security/browser-guard.test.ts',
        // Child processes, the built CLI or package, or the TypeScript compiler.
        'test/sqlite-crash.test.ts',
        'test/sqlite-multiprocess.test.ts',
        'test/security/exhaustion*.test.ts',
        'test/broker-group-pattern.test.ts',
        'test/cli-*.test.ts',
        'test/serve*.test.ts',
        'test/server-index.test.ts',
        'test/dashboard-bundle.test.ts',
        'test/client-bundle.test.ts',
        'test/docs-compile.test.ts',
        'test/package-exports.test.ts',
        'src/cli/log-drivers.test.ts',
        'test/security/route-matrix.test.ts', // serves the built dashboard
        // The fuzzers (their run counts are part of what they check): npm test.
        'test/security/fuzz-*.test.ts',
        'test/security/injection-frames.test.ts',
      ],
    },
  }),
);
