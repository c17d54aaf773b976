/**
 * CONTRACT STUB (being filled in): the single source of truth for the archive table.
 * The normalizer, the Glue table (infra/) and the DuckDB checks all derive from this module.
 */

/** Bumped whenever a column is added, removed or changes type. Written into every manifest. */
export const SCHEMA_VERSION = 1;

/** One table column: Athena/Glue (Hive) type string and a short description for docs and Glue. */
export interface ColumnDef {
  /** snake_case, `[a-z0-9_]` only. */
  readonly name: string;
  /** Hive/Glue type, e.g. `string`, `bigint`, `array<struct<queue_id:string,queue_name:string>>`. */
  readonly type: string;
  readonly comment: string;
}

/** Data columns, in table order (partition keys excluded). */
export const COLUMNS: readonly ColumnDef[] = [];

/** Partition keys, in order: stream_id, dt (YYYY-MM-DD), hour (HH, two digits). */
export const PARTITION_KEYS: readonly ColumnDef[] = [
  { name: 'stream_id', type: 'string', comment: 'Kore stream (bot) id the contacts were fetched for' },
  { name: 'dt', type: 'string', comment: 'UTC date of the archive window, YYYY-MM-DD' },
  { name: 'hour', type: 'string', comment: 'UTC hour of the archive window, 00-23' },
];
