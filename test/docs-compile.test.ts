/**
 * Every TypeScript block of README.md and docs/*.md compiles against the built package.
 *
 * Each ```ts (or ```typescript) block is a module of a fresh ESM project (strict, NodeNext,
 * @types/node) in which `herald`, `herald/sqlite`, `herald/server`... resolve through the package's
 * `exports` to `dist/`, as they do for a user who installed it (`npm test` builds first). A block
 * imports what it uses.
 *
 * The convention for a fragment, a block that uses names it does not declare (an application's
 * `charge`, a `pg` pool): the line just before its fence is
 *
 *     <!-- fragment: charge, pool -->
 *
 * (invisible on GitHub), and the test declares each of those names `any` before the block. The
 * rest of the block must still compile. A block with no marker must compile as it is. A statement
 * whose value is a promise (`broker.deadLetters.list();`) fails too: write `await` (or `void`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkBlocks, extractBlocks, type DocBlock } from './helpers/docs-blocks.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const markdown = [
  'README.md',
  ...readdirSync(`${root}docs`)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const blocks = markdown.flatMap((file) => extractBlocks(file, readFileSync(`${root}${file}`, 'utf8')));
// One program for every block: a single type-check of the package's declarations.
const errors = checkBlocks(blocks, root);

describe('the TypeScript blocks of the docs', () => {
  it('are found in the README and in docs/', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(5);
    expect(new Set(blocks.map((b) => b.file)).size).toBeGreaterThanOrEqual(8);
  });

  it.each(blocks.map((block, i) => [`${block.file}:${block.line}`, i] as const))('%s compiles', (_, i) => {
    expect(errors[i]!.map((e) => `${e.at}: ${e.message}`)).toEqual([]);
  });
});

describe('the docs check itself', () => {
  const doc = [
    '# Example',
    '',
    '```ts',
    "import { createBroker } from 'herald';",
    'const broker = createBroker();',
    "await broker.publish('a.b', { x: 1 });",
    'void broker.close();',
    '```',
    '',
    '```sh',
    '```ts is not a fence inside another block',
    '```',
    '',
    '<!-- fragment: charge -->',
    '```typescript',
    "import { createBroker } from 'herald';",
    "createBroker().subscribe('order.created', (e) => charge(e.data));",
    '```',
    '',
    '```ts',
    "import { createBroker } from 'herald';",
    "createBroker().subscribe('order.created', (e) => charge(e.data));",
    "const n: number = 'not a number';",
    'createBroker().deadLetters.list();',
    '```',
  ].join('\n');

  it('finds the blocks and their fragment markers, and skips other languages', () => {
    expect(extractBlocks('x.md', doc).map(({ line, fragment }) => ({ line, fragment }))).toEqual([
      { line: 3, fragment: undefined },
      { line: 15, fragment: ['charge'] },
      { line: 20, fragment: undefined },
    ]);
  });

  it('fails a broken block, at its line in the Markdown file', () => {
    const found: DocBlock[] = extractBlocks('x.md', doc);
    const [ok, fragment, broken] = checkBlocks(found, root);
    expect(ok).toEqual([]);
    expect(fragment).toEqual([]);
    expect(broken!.map((e) => e.at)).toEqual(['x.md:22:50', 'x.md:23:7', 'x.md:24:1']);
    expect(broken![0]!.message).toBe("Cannot find name 'charge'.");
    expect(broken![1]!.message).toMatch(/Type 'string' is not assignable to type 'number'/);
    expect(broken![2]!.message).toMatch(/^a promise that is neither awaited nor voided/);
  });

  it('refuses a marker that is not just before a ts block', () => {
    expect(() => extractBlocks('y.md', '<!-- fragment: a -->\n\n```ts\nx;\n```')).toThrow(
      'y.md:1: a fragment marker must be the line just before a ```ts block',
    );
    expect(() => extractBlocks('y.md', '<!-- fragment: a b -->\n```ts\nx;\n```')).toThrow(
      'y.md:1: "a b" in a fragment marker is not an identifier',
    );
  });
});
