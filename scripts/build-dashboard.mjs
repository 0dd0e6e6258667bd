#!/usr/bin/env node
/**
 * Bundles the dashboard (dashboard/, Preact + htm, importing herald/client from src/client) with
 * esbuild into dist/dashboard/: app-<hash>.js (ESM, minified, for browsers), app-<hash>.css,
 * index.html (no inline script) and manifest.json (the files the hub serves). Run by `npm run
 * build`; the hub serves it at `/`.
 *
 * Usage:
 *   node scripts/build-dashboard.mjs                 one minified build into dist/dashboard
 *   node scripts/build-dashboard.mjs --watch [--hub http://127.0.0.1:4021] [--port 4022]
 *     rebuilds on every change and serves the page on http://127.0.0.1:<port>/ with live reload,
 *     talking to the hub at --hub (a loopback hub without auth allows loopback pages by default).
 */
import console from 'node:console';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'dashboard');
const { values } = parseArgs({
  options: {
    watch: { type: 'boolean', default: false },
    hub: { type: 'string', default: 'http://127.0.0.1:4021' },
    port: { type: 'string', default: '4022' },
    out: { type: 'string', default: join(root, 'dist', 'dashboard') },
  },
});

const common = {
  entryPoints: { app: join(src, 'app.ts'), style: join(src, 'app.css') },
  bundle: true,
  format: /** @type {const} */ ('esm'),
  platform: /** @type {const} */ ('browser'),
  target: ['es2022'],
  legalComments: /** @type {const} */ ('none'),
  logLevel: /** @type {const} */ ('warning'),
};

const template = () => readFileSync(join(src, 'index.html'), 'utf8');
const page = (js, css) => template().replaceAll('%APP_JS%', js).replaceAll('%APP_CSS%', css);

if (values.watch) {
  const out = join(root, 'scratch', 'dashboard-dev');
  const dev = join(out, 'dashboard');
  mkdirSync(dev, { recursive: true });
  writeFileSync(join(out, 'index.html'), page('app.js', 'style.css'));
  const ctx = await esbuild.context({
    ...common,
    outdir: dev,
    sourcemap: true,
    define: { HERALD_HUB_URL: JSON.stringify(values.hub) },
    banner: { js: "new EventSource('/esbuild').addEventListener('change', () => location.reload());" },
  });
  await ctx.watch();
  const { port } = await ctx.serve({ servedir: out, host: '127.0.0.1', port: Number(values.port) });
  console.log(`dashboard: http://127.0.0.1:${port}/ (live reload), hub ${values.hub}`);
} else {
  const out = values.out;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await esbuild.build({
    ...common,
    outdir: out,
    minify: true,
    write: false,
    define: { HERALD_HUB_URL: '""' },
  });
  const named = {};
  for (const file of result.outputFiles) {
    const ext = file.path.endsWith('.css') ? 'css' : 'js';
    const hash = createHash('sha256').update(file.contents).digest('hex').slice(0, 10);
    const name = `app-${hash}.${ext}`;
    writeFileSync(join(out, name), file.contents);
    named[ext] = name;
  }
  writeFileSync(join(out, 'index.html'), page(named.js, named.css));
  const files = [named.js, named.css, 'index.html'];
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify({ files }, null, 2)}\n`);
  const gz = files.reduce((n, f) => n + gzipSync(readFileSync(join(out, f))).length, 0);
  console.log(`build-dashboard: ${files.join(', ')} in dist/dashboard, ${(gz / 1024).toFixed(1)} KB gzipped`);
}
