/** Where a command writes: lines to stdout, diagnostics to stderr (replaceable in tests). */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/**
 * The process's stdout and stderr.
 *
 * @example
 * ```ts
 * stdio.out('published'); // prints "published\n"
 * ```
 */
export const stdio: Output = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};
