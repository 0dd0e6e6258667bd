/**
 * The browser tests hand functions to Chromium (`page.evaluate`, `$$eval`) that run in the page and
 * use `window`, `document` and `location`: the test type-check includes the DOM library for them.
 * `src/` is built by tsconfig.build.json without it, so library code cannot come to depend on it.
 */
/// <reference lib="dom" />
