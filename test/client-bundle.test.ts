/**
 * `herald/client` is browser-safe and small: esbuild bundles `src/client/index.ts` for the browser
 * (a Node built-in would fail the build), only client and error modules go in, and the minified
 * bundle stays under 10 KB gzipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const clientDir = new URL('src/client/', root);

describe('the herald/client bundle', () => {
  it('bundles for the browser, minified, under 10 KB gzipped, from client and error modules only', async () => {
    const result = await build({
      entryPoints: [new URL('src/client/index.ts', root).pathname],
      bundle: true,
      minify: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`herald/client bundle: ${code.length} bytes minified, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThan(10 * 1024);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((input) => /^src\/(client|errors)\//.test(input))).toBe(true);
  });

  it('imports no Node built-in and nothing outside src/client but types and errors', () => {
    const files = readdirSync(clientDir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = readFileSync(new URL(file, clientDir), 'utf8');
      const imports = [...source.matchAll(/^(import|export)(\s+type)?[^'"]*from\s+'([^']+)'/gm)];
      for (const [line, , typeOnly, specifier] of imports) {
        expect(specifier, `${file}: ${line}`).toMatch(/^\.\.?\//);
        if (!specifier!.startsWith('./') && !specifier!.startsWith('../errors/')) {
          expect(typeOnly, `${file}: only types may come from outside: ${line}`).toBeDefined();
        }
      }
      expect(source).not.toMatch(/\b(require\(|process\.|Buffer\b|node:)/);
    }
  });

  it('type-checks as a browser project would: DOM lib, no @types/node, strict', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-client-dom-'));
    try {
      const config = {
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
          noEmit: true,
          skipLibCheck: false,
          noUncheckedIndexedAccess: true,
        },
        files: [fileURLToPath(new URL('src/client/index.ts', root))],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
      const tsc = fileURLToPath(new URL('node_modules/typescript/bin/tsc', root));
      // Throws with the compiler's output if anything needs Node's types.
      execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
