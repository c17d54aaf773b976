import { describe, expect, it } from 'vitest';
import { COLUMN_SPECS, COLUMNS, PARTITION_KEYS, type ColumnType } from '../../functions/lib/archive/schema';
import { namedQueries, unnestFields } from '../../infra/named-queries';

// A loose parse, enough to catch a misspelt or removed column: every identifier of a query that is not SQL
// (a keyword or function), not an alias the query declares and not the table must be a column, a partition
// key or a field of a struct column of the schema.

const SQL_WORDS = new Set(
  `select from where and or not is null as cross join unnest group by order desc asc having limit case when then
   else end distinct interval day over in count count_if sum avg max min round approx_percentile nullif
   date_format current_date true false`
    .split(/\s+/)
    .filter((w) => w !== ''),
);

function structFieldNames(type: ColumnType): string[] {
  switch (type.kind) {
    case 'struct':
      return type.fields.flatMap((f) => [f.name, ...structFieldNames(f.type)]);
    case 'array':
      return structFieldNames(type.element);
    case 'map':
      return structFieldNames(type.value);
    default:
      return [];
  }
}

const COLUMN_NAMES = new Set([...COLUMNS, ...PARTITION_KEYS].map((c) => c.name));
const FIELD_NAMES = new Set(COLUMN_SPECS.flatMap((c) => structFieldNames(c.type)));

/** Identifiers of a query: comments and string literals removed, double quotes dropped, lower case. */
function identifiers(sql: string): string[] {
  const text = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/'[^']*'/g, ' ')
    .replace(/"([^"]+)"/g, '$1')
    .toLowerCase();
  return text.match(/[a-z_][a-z0-9_]*/g) ?? [];
}

/** Names the query itself declares with `AS name` (table and output aliases). */
function declaredAliases(sql: string): Set<string> {
  const aliases = new Set<string>();
  for (const m of sql.toLowerCase().matchAll(/\bas\s+([a-z_][a-z0-9_]*)/g)) {
    aliases.add(m[1] as string);
  }
  return aliases;
}

/** `alias.column` references where the alias is the table alias `c`: these must be columns. */
function tableColumnRefs(sql: string): string[] {
  return [...sql.toLowerCase().replace(/'[^']*'/g, ' ').matchAll(/\bc\.("?)([a-z_][a-z0-9_]*)\1/g)].map((m) => m[2] as string);
}

/** Identifiers that are neither SQL, nor declared by the query, nor the table, nor part of the schema. */
function unknownIdentifiers(sql: string): string[] {
  const aliases = declaredAliases(sql);
  return identifiers(sql).filter(
    (id) =>
      !SQL_WORDS.has(id) &&
      !aliases.has(id) &&
      !COLUMN_NAMES.has(id) &&
      !FIELD_NAMES.has(id) &&
      id !== 'kore_qa_archive' &&
      id !== 'contacts',
  );
}

/** Top-level field names of an `array<struct<...>>` Hive type string. */
function hiveStructFields(type: string): string[] {
  const body = /^array<struct<(.*)>>$/.exec(type)?.[1];
  if (body === undefined) throw new Error(`not an array of structs: ${type}`);
  const names: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    const ch = body[i];
    if (ch === '<') depth++;
    else if (ch === '>') depth--;
    else if ((ch === ',' && depth === 0) || ch === undefined) {
      names.push(body.slice(start, i).split(':')[0] as string);
      start = i + 1;
    }
  }
  return names;
}

const queries = namedQueries('kore_qa_archive', 'contacts');

describe('named queries', () => {
  it('answer the five questions of the brief, and one completeness check', () => {
    expect(queries.map((q) => q.name)).toEqual([
      'Daily pass rate by agent',
      'Evaluation score trend by queue',
      'Most failed metrics',
      'Churn and escalation by intent',
      'Sentiment start vs end',
      'Contacts per hour',
    ]);
    for (const q of queries) {
      expect(q.sql).toContain('FROM "kore_qa_archive"."contacts" AS c');
      // Every query prunes partitions by date.
      expect(q.sql).toMatch(/c\.dt >= date_format\(current_date - INTERVAL '\d+' DAY, '%Y-%m-%d'\)/);
      expect(q.description.length).toBeGreaterThan(20);
    }
  });

  it.each(queries.map((q) => [q.name, q.sql] as const))('%s references only columns and fields that exist', (_name, sql) => {
    expect(unknownIdentifiers(sql)).toEqual([]);
    const columns = tableColumnRefs(sql);
    expect(columns.length).toBeGreaterThan(0);
    expect(columns.filter((c) => !COLUMN_NAMES.has(c))).toEqual([]);
  });

  it('unnests arrays of structs with every field, in the order of the Hive type', () => {
    for (const column of ['agents', 'queues', 'metrics', 'configured_intents']) {
      const type = COLUMNS.find((c) => c.name === column)?.type ?? '';
      expect(unnestFields(column).split(', ')).toEqual(hiveStructFields(type));
    }
    expect(() => unnestFields('conversation_id')).toThrow(/not an array of structs/);
  });

  it('would catch a misspelt column', () => {
    const typo = queries[0]?.sql.replace('c.is_passed IS NOT NULL', 'c.is_pased IS NOT NULL') ?? '';
    expect(unknownIdentifiers(typo)).toEqual(['is_pased']);
  });
});
