/**
 * Query results as a clean text table: a header, a rule, one line per row; numbers right-aligned, text
 * left-aligned, no index column, no quotes; nested values as compact JSON; null as an empty cell.
 */
import type { Json } from '@duckdb/node-api';

/** Options of {@link renderTable}. */
export interface TableOptions {
  /** Longest cell, in characters, before it is cut with `…`. Default 48. */
  readonly maxCellWidth?: number;
}

function cell(value: Json | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function isNumeric(values: readonly (Json | undefined)[]): boolean {
  const present = values.filter((v) => v !== null && v !== undefined);
  return present.length > 0 && present.every((v) => typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)));
}

/** Renders rows (as `query()` returns them) as a text table; `(no rows)` when there are none. */
export function renderTable(rows: readonly Record<string, Json>[], options: TableOptions = {}): string {
  const first = rows[0];
  if (first === undefined) return '(no rows)';
  const max = options.maxCellWidth ?? 48;
  const columns = Object.keys(first);
  const cut = (text: string): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
  const cells = rows.map((row) => columns.map((c) => cut(cell(row[c]))));
  const numeric = columns.map((c) => isNumeric(rows.map((r) => r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
