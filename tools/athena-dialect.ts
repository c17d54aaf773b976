/**
 * Runs the stack's saved Athena queries (infra/named-queries.ts, written once) on DuckDB. Athena speaks
 * Trino SQL; DuckDB differs in four places these queries use, each translated by one rule below:
 *
 * | Athena (Trino)                                        | DuckDB                                        | why |
 * | ----------------------------------------------------- | --------------------------------------------- | --- |
 * | `"db"."table"`                                        | `contacts`                                    | the local archive is one in-memory table |
 * | `CROSS JOIN UNNEST(c.agents) AS a (agent_id, ...)`    | `CROSS JOIN UNNEST(c.agents) AS a_rows(a)`    | Trino expands an array of rows into one column per field; DuckDB yields one struct column, whose fields `a.agent_id` reaches the same way |
 * | `approx_percentile(x, 0.5)`                           | `approx_quantile(x, 0.5)`                     | same function, other name |
 * | `date_format(d, '%Y-%m-%d')`                          | `strftime(d, '%Y-%m-%d')`                     | same format codes for these fields |
 *
 * Everything else the queries use (`count_if`, `nullif`, window functions, `INTERVAL 'n' DAY`, struct field
 * access) means the same in both. A query using something outside these rules is refused rather than run
 * with a different meaning: see {@link toDuckDb}.
 */
import { ArchiveError } from '../functions/lib/errors';

/** A rule of the translation, for the documentation and the tests. */
export interface DialectRule {
  readonly athena: RegExp;
  readonly duckdb: string | ((match: string, ...groups: string[]) => string);
}

export const DIALECT_RULES: readonly DialectRule[] = Object.freeze([
  { athena: /"[A-Za-z0-9_]+"\."[A-Za-z0-9_]+"/g, duckdb: 'contacts' },
  {
    athena: /CROSS JOIN UNNEST\(([^()]+)\) AS (\w+) \(([\w, ]+)\)/g,
    duckdb: (_m: string, array: string, alias: string) => `CROSS JOIN UNNEST(${array}) AS ${alias}_rows(${alias})`,
  },
  { athena: /\bapprox_percentile\(/g, duckdb: 'approx_quantile(' },
  { athena: /\bdate_format\(/g, duckdb: 'strftime(' },
]);

/** Trino functions the rules do not cover and that DuckDB would read differently or not at all. */
const UNTRANSLATED = /\b(json_extract_scalar|from_iso8601_timestamp|date_parse|regexp_like|array_join|cardinality|element_at)\s*\(/i;

/**
 * The DuckDB form of an Athena query over the archive table (see the module comment for the rules).
 *
 * @throws {ArchiveError} when the query uses Trino functions outside the documented rules
 */
export function toDuckDb(athenaSql: string): string {
  const untranslated = UNTRANSLATED.exec(athenaSql);
  if (untranslated) throw new ArchiveError(`no DuckDB translation for ${untranslated[1]}(): run this query in Athena`);
  let sql = athenaSql;
  for (const { athena, duckdb } of DIALECT_RULES) sql = typeof duckdb === 'string' ? sql.replace(athena, duckdb) : sql.replace(athena, duckdb);
  return sql;
}
