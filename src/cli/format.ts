/** An event as the hub returns it (only what the CLI shows is typed). */
export interface ShownEvent {
  position?: number;
  time?: string;
  recordedat?: string;
  type?: string;
  subject?: string;
  data?: unknown;
  data_base64?: string;
}

/**
 * One readable line for an event: `<position> <time> <type> [subject] <data>`, the data as JSON
 * cut to `width` characters.
 *
 * @example
 * ```ts
 * eventLine({ position: 7, time: '2025-01-01T00:00:00Z', type: 'order.created', data: { id: 'o-1' } });
 * // '7 2025-01-01T00:00:00Z order.created {"id":"o-1"}'
 * ```
 */
export function eventLine(event: ShownEvent, width = 100): string {
  const data =
    event.data !== undefined
      ? truncate(JSON.stringify(event.data), width)
      : event.data_base64 !== undefined
        ? `<${Buffer.from(event.data_base64, 'base64').length} bytes>`
        : '';
  return [
    event.position ?? '-',
    event.time ?? event.recordedat ?? '-',
    event.type ?? '-',
    event.subject,
    data,
  ]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
}

/**
 * `text` cut to `width` characters, ending in `…` when cut.
 *
 * @example
 * ```ts
 * truncate('abcdef', 4); // 'abc…'
 * ```
 */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Rows as a table with a header, columns padded to their widest cell.
 *
 * @example
 * ```ts
 * table(['name', 'lag'], [['billing', 3]]); // ['name     lag', 'billing  3']
 * ```
 */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  const cells = [header, ...rows.map((row) => row.map(cellText))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function cellText(cell: unknown): string {
  if (cell === undefined || cell === null) return '-';
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}
