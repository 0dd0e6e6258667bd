/** A pino destination keeping every line written, for asserting on a hub's log. */
export interface LogCapture {
  /** Pass as `logger: { ...options, stream }`. */
  readonly stream: { write(line: string): void };
  /** Everything written so far. */
  text(): string;
}

/**
 * A destination stream for a hub's logger that keeps what it is given.
 *
 * @example
 * ```ts
 * const capture = logCapture();
 * createServer({ log, logger: { level: 'info', stream: capture.stream } });
 * ```
 */
export function logCapture(): LogCapture {
  const lines: string[] = [];
  return { stream: { write: (line) => void lines.push(line) }, text: () => lines.join('') };
}
