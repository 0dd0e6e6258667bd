/**
 * The dashboard's bundle budget (issue 15): every file the page loads (dist/dashboard, built by
 * `npm run build`, which `npm test` runs first), gzipped, stays under 150 KB.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const DIR = new URL('../dist/dashboard/', import.meta.url);
const BUDGET = 150 * 1024;

describe('the dashboard bundle', () => {
  it('is built, and every file the page loads gzips to under 150 KB in all', () => {
    expect(existsSync(new URL('manifest.json', DIR)), 'run npm run build first').toBe(true);
    const { files } = JSON.parse(readFileSync(new URL('manifest.json', DIR), 'utf8')) as { files: string[] };
    expect(files).toContain('index.html');
    expect(files.some((f) => /^app-[0-9a-f]{10}\.js$/.test(f))).toBe(true);
    expect(files.some((f) => /^app-[0-9a-f]{10}\.css$/.test(f))).toBe(true);
    let raw = 0;
    let gzipped = 0;
    const sizes: string[] = [];
    for (const file of files) {
      const body = readFileSync(new URL(file, DIR));
      const gz = gzipSync(body, { level: 9 }).length;
      raw += body.length;
      gzipped += gz;
      sizes.push(`${file} ${(gz / 1024).toFixed(1)} KB`);
    }
    console.log(
      `dashboard bundle: ${(gzipped / 1024).toFixed(1)} KB gzipped (${(raw / 1024).toFixed(1)} KB raw; ${sizes.join(', ')}); budget 150 KB`,
    );
    expect(gzipped).toBeLessThan(BUDGET);
  });

  it('has no inline script in its page', () => {
    const html = readFileSync(new URL('index.html', DIR), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\son\w+=/i);
  });
});
