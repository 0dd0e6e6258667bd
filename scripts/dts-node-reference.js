#!/usr/bin/env node
/**
 * Adds `/// <reference types="node" />` to every emitted declaration file that uses Node's types
 * (imports a `node:` module, or names `Buffer` or `NodeJS`). Without it, a project on TypeScript 6
 * (whose `types` default is `[]`) or with `"types": []` that imports `herald` fails with
 * `Cannot find name 'node:async_hooks'`: nothing else in that program loads `@types/node`. `tsc`
 * no longer writes such references itself, and keeps a hand-written one only with
 * `preserve="true"`; adding it here covers every file, present and future, from one place.
 * Files that use no Node type (a browser-safe module) get none. Run after `tsc`; idempotent.
 *
 * Usage: node scripts/dts-node-reference.js [outDir]   (default: dist)
 */
import console from 'node:console';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import process from 'node:process';

const REFERENCE = '/// <reference types="node" />\n';
const USES_NODE = /from ['"]node:|import\(['"]node:|\bBuffer\b|\bNodeJS\b/;
const root = resolve(import.meta.dirname, '..');
const out = resolve(root, process.argv[2] ?? 'dist');

let added = 0;
for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  if (text.startsWith(REFERENCE) || !USES_NODE.test(text)) continue;
  writeFileSync(file, REFERENCE + text);
  added++;
}
console.log(
  `dts-node-reference: ${added} declaration file(s) in ${relative(root, out)} reference Node's types`,
);
