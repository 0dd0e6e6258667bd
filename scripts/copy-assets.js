#!/usr/bin/env node
/**
 * Copies the non-TypeScript files the code reads at run time (SQL and Lua scripts, loaded with
 * `new URL('./sql/x.sql', import.meta.url)`) from `src/` to the same place under `dist/`: `tsc`
 * emits only JavaScript. Run after `tsc -p tsconfig.build.json`.
 *
 * Usage: node scripts/copy-assets.js [srcDir] [outDir]   (defaults: src dist)
 */
import console from 'node:console';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';

const ASSET = /\.(sql|lua)$/;
const root = resolve(import.meta.dirname, '..');
const src = resolve(root, process.argv[2] ?? 'src');
const out = resolve(root, process.argv[3] ?? 'dist');

let copied = 0;
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !ASSET.test(entry.name)) continue;
  const from = join(entry.parentPath, entry.name);
  const to = join(out, relative(src, from));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  copied++;
}
console.log(`copy-assets: ${copied} file(s) from ${relative(root, src)} to ${relative(root, out)}`);
