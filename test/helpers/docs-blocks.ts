import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One ```ts (or ```typescript) block of a Markdown file. */
export interface DocBlock {
  /** The Markdown file, relative to the repository (`README.md`, `docs/live.md`). */
  readonly file: string;
  /** The line of the opening fence, 1-based. */
  readonly line: number;
  /** The code between the fences. */
  readonly code: string;
  /** The names a `<!-- fragment: a, b -->` marker declares, or `undefined` for a whole program. */
  readonly fragment: readonly string[] | undefined;
}

/** A type error in a block, located in its Markdown file. */
export interface BlockError {
  readonly at: string;
  readonly message: string;
}

const FENCE = /^(\s*)```(ts|typescript)\s*$/;
const MARKER = /^\s*<!--\s*fragment:(.*?)-->\s*$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The TypeScript blocks of one Markdown file. A block preceded (on the line just before its fence)
 * by `<!-- fragment: name, other -->` is a fragment that uses those names without declaring them.
 * A marker not followed by a ts block, or naming something that is not an identifier, throws.
 *
 * @example
 * ```ts
 * extractBlocks('README.md', readFileSync('README.md', 'utf8')); // [{ file, line: 52, code, fragment }]
 * ```
 */
export function extractBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: DocBlock[] = [];
  let fence: string | undefined; // the fence of the code block we are in, of any language
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (fence !== undefined) {
      if (text.trim() === fence) fence = undefined;
      continue;
    }
    const marker = MARKER.exec(text);
    if (marker) {
      if (!FENCE.test(lines[i + 1] ?? '')) {
        throw new Error(`${file}:${i + 1}: a fragment marker must be the line just before a \`\`\`ts block`);
      }
      continue;
    }
    const open = /^\s*(`{3,}|~{3,})/.exec(text);
    if (!open) continue;
    const typed = FENCE.exec(text);
    if (!typed) {
      fence = open[1];
      continue;
    }
    const indent = typed[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() !== '```') body.push(lines[j++]!.slice(indent));
    if (j === lines.length) throw new Error(`${file}:${i + 1}: a \`\`\`ts block is never closed`);
    const names = MARKER.exec(lines[i - 1] ?? '')?.[1];
    const fragment = names === undefined ? undefined : names.split(',').map((name) => name.trim());
    for (const name of fragment ?? []) {
      if (!IDENTIFIER.test(name)) {
        throw new Error(`${file}:${i}: "${name}" in a fragment marker is not an identifier`);
      }
    }
    blocks.push({ file, line: i + 1, code: body.join('\n'), fragment });
    i = j;
  }
  return blocks;
}

/**
 * Type-checks blocks as ES modules of a fresh project that depends on the built package: in a
 * temporary folder, `node_modules/herald` links to `packageRoot` (so `herald`, `herald/sqlite`...
 * resolve through its `exports` to `dist/`, as in an installed copy) and the repository's other
 * packages are linked beside it (zod, eventsource, the NATS client). A fragment's names are
 * declared `any` on the line before its code. Returns the errors of each block, by index.
 *
 * @example
 * ```ts
 * const errors = checkBlocks(blocks, process.cwd()); // errors[i]: [] when block i compiles
 * ```
 */
export function checkBlocks(blocks: readonly DocBlock[], packageRoot: string): BlockError[][] {
  const dir = mkdtempSync(join(tmpdir(), 'herald-docs-'));
  try {
    const modules = join(dir, 'node_modules');
    mkdirSync(modules);
    symlinkSync(packageRoot, join(modules, 'herald'), 'dir');
    for (const name of readdirSync(join(packageRoot, 'node_modules'))) {
      if (name === 'herald' || name.startsWith('.')) continue;
      symlinkSync(join(packageRoot, 'node_modules', name), join(modules, name), 'dir');
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'docs-blocks', type: 'module' }));
    const files = blocks.map((block, i) => {
      const path = join(dir, `block-${String(i).padStart(3, '0')}.ts`);
      const declared = (block.fragment ?? []).map((name) => `declare const ${name}: any;`).join(' ');
      // The declarations take exactly one line, so block line n is file line n + 1.
      writeFileSync(path, `${declared}\n${block.code}\n`);
      return path;
    });
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts'],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      moduleDetection: ts.ModuleDetectionKind.Force,
      types: ['node'],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    });
    const byFile = new Map(files.map((path, i) => [path, i]));
    const errors: BlockError[][] = blocks.map(() => []);
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const index = diagnostic.file === undefined ? undefined : byFile.get(diagnostic.file.fileName);
      if (index === undefined || diagnostic.start === undefined) {
        // Not in a block (a broken link of the package, say): every block shares the blame.
        const at = diagnostic.file === undefined ? 'the project' : relative(dir, diagnostic.file.fileName);
        for (const list of errors) list.push({ at, message });
        continue;
      }
      errors[index]!.push({ at: where(blocks[index]!, diagnostic.file!, diagnostic.start), message });
    }
    const checker = program.getTypeChecker();
    files.forEach((path, i) => {
      for (const node of floatingPromises(program.getSourceFile(path)!, checker)) {
        errors[i]!.push({
          at: where(blocks[i]!, node.getSourceFile(), node.getStart()),
          message:
            'a promise that is neither awaited nor voided (an unhandled rejection, or a call that did nothing yet)',
        });
      }
    });
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function where(block: DocBlock, file: ts.SourceFile, position: number): string {
  const { line, character } = file.getLineAndCharacterOfPosition(position);
  return `${block.file}:${block.line + line}:${character + 1}`;
}

/**
 * Expression statements whose value is a promise, as `@typescript-eslint/no-floating-promises`
 * sees them: `broker.deadLetters.list();` compiles, and shows a reader a call that returns nothing
 * useful. `await` or `void` in front of it is fine.
 */
function floatingPromises(file: ts.SourceFile, checker: ts.TypeChecker): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isExpressionStatement(node) && !ts.isVoidExpression(node.expression)) {
      const type = checker.getTypeAtLocation(node.expression);
      const then = type.getProperty('then');
      const thenType = then === undefined ? undefined : checker.getTypeOfSymbolAtLocation(then, node);
      if (thenType !== undefined && thenType.getCallSignatures().length > 0) found.push(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}
