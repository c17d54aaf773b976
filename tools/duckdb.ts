/**
 * Reads archive objects (gzipped JSON lines) with DuckDB, using the column types declared in
 * functions/lib/archive/schema.ts, never hand-written ones. Used by the tests and by the local demo to show
 * that what the function writes is what Athena will read.
 *
 * DuckDB's own `read_json` is stricter than nothing but looser than the table contract: it fails on text
 * that is not a number in a DOUBLE column, yet silently turns a number into VARCHAR, `true` into 1.0, a
 * quoted "3.5" into 3.5 and rounds 1.5 into a BIGINT. So {@link loadContacts} first checks the JSON type of
 * every value of every line against the schema (a query generated from the schema's DSL), and only then
 * reads the lines with the declared types. Either step failing throws.
 */
import {
  DuckDBInstance,
  DuckDBMapValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBValueConverter,
  type Json,
} from '@duckdb/node-api';
import { ArchiveError } from '../functions/lib/errors';
import {
  COLUMN_SPECS,
  PARTITION_SPECS,
  TIMESTAMP_FORMAT,
  duckdbColumns,
  duckdbPartitionTypes,
  duckdbType,
  formatTimestamp,
  type ColumnType,
} from '../functions/lib/archive/schema';

/** Archive lines that do not agree with the schema, or that DuckDB could not read with the declared types. */
export class SchemaMismatchError extends ArchiveError {
  override readonly name: string = 'SchemaMismatchError';
  constructor(
    message: string,
    /** Offending lines: file, 1-based line number within the file, and the columns that do not fit. */
    readonly violations: readonly LineViolation[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One archive line that does not agree with the schema. */
export interface LineViolation {
  readonly file: string;
  readonly line: number;
  /** Column names, or a description in parentheses for line-level problems. */
  readonly columns: readonly string[];
}

/** An in-memory DuckDB database and its connection. */
export interface ArchiveDb {
  readonly connection: DuckDBConnection;
  close(): void;
}

/** Opens an in-memory DuckDB. Extensions are never downloaded: JSON support is built into the bindings. */
export async function openArchiveDb(): Promise<ArchiveDb> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** What to read. */
export interface LoadOptions {
  /** Paths of archive objects, or one glob such as `/tmp/demo/contacts/**\/*.jsonl.gz`. */
  readonly files: string | readonly string[];
  /**
   * Read `stream_id`, `dt` and `hour` from `key=value` folders of the paths, typed as the schema declares
   * them (strings; `hour` keeps its leading zero). Default true.
   */
  readonly hivePartitioning?: boolean;
  /** Name of the table to create (replaced if it exists). Default `contacts`. */
  readonly table?: string;
  /** Compression of the files. Default `gzip`, as the function writes them. */
  readonly compression?: 'gzip' | 'none';
}

/** What {@link loadContacts} read. */
export interface LoadResult {
  readonly table: string;
  /** Number of lines read, equal to the number of rows in the table. */
  readonly rows: number;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function identifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function fileList(files: string | readonly string[]): string {
  return typeof files === 'string' ? literal(files) : `[${files.map(literal).join(', ')}]`;
}

function structLiteral(entries: Readonly<Record<string, string>>): string {
  return `{${Object.entries(entries)
    .map(([key, value]) => `${literal(key)}: ${literal(value)}`)
    .join(', ')}}`;
}

/**
 * The `read_json(...)` table expression that reads archive objects with the schema's column types.
 * Strict: no error is ignored, every column's type comes from the schema.
 */
export function readJsonSql(files: string | readonly string[], options: Omit<LoadOptions, 'files' | 'table'> = {}): string {
  const args = [
    fileList(files),
    `format='newline_delimited'`,
    `compression=${literal(options.compression ?? 'gzip')}`,
    `columns=${structLiteral(duckdbColumns())}`,
    `timestampformat=${literal(TIMESTAMP_FORMAT.duckdb)}`,
    `ignore_errors=false`,
  ];
  if (options.hivePartitioning ?? true) {
    args.push(`hive_partitioning=true`, `hive_types=${structLiteral(duckdbPartitionTypes())}`);
  } else {
    args.push(`hive_partitioning=false`);
  }
  return `read_json(${args.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------------------
// Strict JSON-type check, generated from the schema's DSL
// ---------------------------------------------------------------------------------------------------------

const TIMESTAMP_REGEX = TIMESTAMP_FORMAT.pattern.source;

/**
 * A SQL boolean expression that is true when the JSON value `v` (SQL NULL when the key is absent) has
 * exactly the JSON shape the DSL type is written as. `depth` keeps nested lambda parameter names unique.
 */
function jsonCheck(type: ColumnType, v: string, depth = 0): string {
  const jt = `coalesce(json_type(${v}), 'NULL')`;
  const x = `x${depth}`;
  switch (type.kind) {
    case 'string':
    case 'json':
      return `${jt} IN ('NULL', 'VARCHAR')`;
    case 'double':
      return `${jt} IN ('NULL', 'BIGINT', 'UBIGINT', 'DOUBLE')`;
    case 'int':
    case 'bigint':
      return `(${jt} = 'NULL' OR (${jt} IN ('BIGINT', 'UBIGINT') AND TRY_CAST(${v} AS ${duckdbType(type)}) IS NOT NULL))`;
    case 'boolean':
      return `${jt} IN ('NULL', 'BOOLEAN')`;
    case 'timestamp': {
      const text = `json_extract_string(${v}, '$')`;
      return (
        `(${jt} = 'NULL' OR (${jt} = 'VARCHAR' AND regexp_full_match(${text}, ${literal(TIMESTAMP_REGEX)}) ` +
        `AND try_strptime(${text}, ${literal(TIMESTAMP_FORMAT.duckdb)}) IS NOT NULL))`
      );
    }
    case 'array':
      return (
        `(${jt} = 'NULL' OR (${jt} = 'ARRAY' AND coalesce(list_bool_and(list_transform(json_extract(${v}, '$[*]'), ` +
        `lambda ${x}: ${jsonCheck(type.element, x, depth + 1)})), true)))`
      );
    case 'struct': {
      const names = `[${type.fields.map((f) => literal(f.name)).join(', ')}]`;
      const fields = type.fields.map((f) => jsonCheck(f.type, `json_extract(${v}, ${literal(`$."${f.name}"`)})`, depth + 1));
      return (
        `(${jt} = 'NULL' OR (${jt} = 'OBJECT' AND coalesce(list_bool_and(list_transform(json_keys(${v}), ` +
        `lambda ${x}: list_contains(${names}, ${x}))), true) AND ${fields.join(' AND ')}))`
      );
    }
    case 'map':
      return (
        `(${jt} = 'NULL' OR (${jt} = 'OBJECT' AND coalesce(list_bool_and(list_transform(json_extract(${v}, '$.*'), ` +
        `lambda ${x}: ${jsonCheck(type.value, x, depth + 1)})), true)))`
      );
  }
}

/** The query listing lines whose JSON does not agree with the schema (at most `limit`). */
export function strictCheckSql(files: string | readonly string[], options: { compression?: 'gzip' | 'none'; limit?: number } = {}): string {
  const names = `[${COLUMN_SPECS.map((c) => literal(c.name)).join(', ')}]`;
  const paths = `[${COLUMN_SPECS.map((c) => literal(`$."${c.name}"`)).join(', ')}]`;
  const checks = [
    `CASE WHEN coalesce(json_type(json), '') <> 'OBJECT' THEN '(not a JSON object)' END`,
    `CASE WHEN json_keys(json) IS DISTINCT FROM ${names} THEN '(keys are not exactly the schema columns in order)' END`,
    // Each line is parsed once into its column values (vals); the checks then only parse those small values.
    ...COLUMN_SPECS.map(
      (c, i) => `CASE WHEN NOT coalesce(${jsonCheck(c.type, `vals[${i + 1}]`)}, false) THEN ${literal(c.name)} END`,
    ),
  ];
  return `
    WITH lines AS (
      SELECT filename, ordinality AS n, json, json_extract(json, ${paths}) AS vals
      FROM read_ndjson_objects(${fileList(files)}, compression=${literal(options.compression ?? 'gzip')},
                               filename=true, hive_partitioning=false) WITH ORDINALITY
    ), checked AS (
      SELECT filename, n - min(n) OVER (PARTITION BY filename) + 1 AS line,
             list_filter([${checks.join(',\n')}], lambda p: p IS NOT NULL) AS bad
      FROM lines
    )
    SELECT filename AS file, line, bad AS columns FROM checked WHERE len(bad) > 0
    ORDER BY filename, line LIMIT ${options.limit ?? 20}`;
}

/**
 * Checks the JSON type of every value of every line against the schema and returns the offending lines
 * (at most 20). Throws {@link SchemaMismatchError} when a file cannot be read or a line is not JSON.
 */
export async function checkArchiveLines(
  connection: DuckDBConnection,
  files: string | readonly string[],
  options: { compression?: 'gzip' | 'none' } = {},
): Promise<LineViolation[]> {
  let rows: Record<string, Json>[];
  try {
    rows = await query(connection, strictCheckSql(files, options));
  } catch (error) {
    throw new SchemaMismatchError(`could not read the archive lines as JSON: ${firstLine(error)}`, [], { cause: error });
  }
  return rows.map((r) => ({
    file: String(r.file),
    line: Number(r.line),
    columns: Array.isArray(r.columns) ? r.columns.map(String) : [],
  }));
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function createEmptyTable(table: string, hivePartitioning: boolean): string {
  const columns = Object.entries(duckdbColumns()).map(([name, type]) => `${identifier(name)} ${type}`);
  if (hivePartitioning) {
    columns.push(...PARTITION_SPECS.map((p) => `${identifier(p.name)} ${duckdbType(p.type)}`));
  }
  return `CREATE OR REPLACE TABLE ${identifier(table)} (${columns.join(', ')})`;
}

/**
 * Loads archive objects into an in-memory table (default `contacts`) with the schema's column types (plus
 * the partition keys when `hivePartitioning`). The table is materialised, so every value of every line is
 * converted up front: a line that does not agree with the schema fails here, not in a later query.
 * Throws {@link SchemaMismatchError} naming the file, line and columns.
 */
export async function loadContacts(connection: DuckDBConnection, options: LoadOptions): Promise<LoadResult> {
  const table = options.table ?? 'contacts';
  const hivePartitioning = options.hivePartitioning ?? true;
  if (Array.isArray(options.files) && options.files.length === 0) {
    await connection.run(createEmptyTable(table, hivePartitioning));
    return { table, rows: 0 };
  }

  const violations = await checkArchiveLines(connection, options.files, options);
  if (violations.length > 0) {
    const where = violations
      .slice(0, 5)
      .map((v) => `${v.file}:${v.line} (${v.columns.join(', ')})`)
      .join('; ');
    throw new SchemaMismatchError(`archive lines do not agree with the schema: ${where}`, violations);
  }

  const lines = Number((await query(connection, `SELECT count(*) AS n FROM read_ndjson_objects(${fileList(options.files)}, compression=${literal(options.compression ?? 'gzip')})`))[0]?.n);
  try {
    await connection.run(`CREATE OR REPLACE TABLE ${identifier(table)} AS SELECT * FROM ${readJsonSql(options.files, options)}`);
  } catch (error) {
    throw new SchemaMismatchError(`archive lines could not be read with the schema's types: ${firstLine(error)}`, [], { cause: error });
  }
  const rows = Number((await query(connection, `SELECT count(*) AS n FROM ${identifier(table)}`))[0]?.n);
  if (rows !== lines) {
    throw new SchemaMismatchError(`DuckDB read ${rows} rows from ${lines} lines`);
  }
  return { table, rows };
}

// ---------------------------------------------------------------------------------------------------------
// Plain results
// ---------------------------------------------------------------------------------------------------------

function microsToTimestamp(micros: bigint): string | undefined {
  // Floor, not truncate, so instants before 1970 keep their millisecond.
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  return formatTimestamp(new Date(Number(ms)));
}

/**
 * Converts DuckDB values to plain JSON values shaped like the archive lines: integers as numbers (as text
 * beyond 2^53), timestamps as `yyyy-MM-dd HH:mm:ss.SSS`, maps as objects.
 */
const plainConverter: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      if (typeof value === 'bigint') {
        return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : String(value);
      }
      break;
    case DuckDBTypeId.TIMESTAMP:
      if (value instanceof DuckDBTimestampValue) return (value.isFinite ? microsToTimestamp(value.micros) : undefined) ?? String(value);
      break;
    case DuckDBTypeId.MAP:
      if (value instanceof DuckDBMapValue && type.typeId === DuckDBTypeId.MAP) {
        const out: Record<string, Json> = {};
        for (const entry of value.entries) {
          out[String(converter(entry.key, type.keyType, converter))] = converter(entry.value, type.valueType, converter);
        }
        return out;
      }
      break;
  }
  return JsonDuckDBValueConverter(value, type, converter);
};

/** Runs SQL and returns its rows as plain objects (see {@link plainConverter} for the value shapes). */
export async function query(connection: DuckDBConnection, sql: string): Promise<Record<string, Json>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.convertRowObjects(plainConverter) as Record<string, Json>[];
}
