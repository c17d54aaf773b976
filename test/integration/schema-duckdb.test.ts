/**
 * Proves the archive lines are queryable with their declared types: the fixtures are normalized, written as
 * gzipped JSON lines in the archive's Hive layout, and read back by DuckDB with the column types taken from
 * the schema module. Every value DuckDB reads must equal the normalizer's output, column by column.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeContact, type ArchiveRow, type IngestContext } from '../../functions/lib/archive/normalize';
import { COLUMNS, PARTITION_KEYS, duckdbColumns } from '../../functions/lib/archive/schema';
import type { RawContact } from '../../functions/lib/types';
import {
  SchemaMismatchError,
  loadContacts,
  openArchiveDb,
  query,
  readJsonSql,
  type ArchiveDb,
} from '../../tools/duckdb';
import { apiContact } from '../support/contacts';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

const current = fixture<{ results: RawContact[] }>('rawdata-response-current.json').results;
const previous = fixture<{ results: RawContact[] }>('rawdata-response-previous.json').results;
const edge = Object.values(fixture<{ cases: Record<string, RawContact> }>('contacts-edge-cases.json').cases);

function ctx(start: string): IngestContext {
  const s = new Date(start);
  return { streamId: 'st-demo', window: { start: s, end: new Date(s.getTime() + 3_600_000) }, runId: 'run-it-1', archivedAt: new Date('2026-05-02T14:05:06.789Z') };
}

function writeLines(path: string, lines: readonly string[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
}

let dir: string;
let db: ArchiveDb;
let expected: ArchiveRow[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'schema-duckdb-'));
  // Two partitions, as the writer lays them out; hour=05 checks the leading zero survives.
  const partA = [...current, ...edge].map((raw) => normalizeContact(apiContact(raw), ctx('2026-05-02T05:00:00Z')).row);
  const partB = previous.map((raw) => normalizeContact(apiContact(raw), ctx('2026-03-23T10:00:00Z')).row);
  expected = [...partA, ...partB];
  writeLines(join(dir, 'contacts/stream_id=st-demo/dt=2026-05-02/hour=05/part-00000.jsonl.gz'), partA.map((r) => JSON.stringify(r)));
  writeLines(join(dir, 'contacts/stream_id=st-demo/dt=2026-03-23/hour=10/part-00000.jsonl.gz'), partB.map((r) => JSON.stringify(r)));
  db = await openArchiveDb();
  await loadContacts(db.connection, { files: join(dir, 'contacts/**/*.jsonl.gz') });
});

afterAll(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('archive lines read by DuckDB with the declared types', () => {
  it('reads every line', async () => {
    const [count] = await query(db.connection, 'SELECT count(*) AS n FROM contacts');
    expect(count?.n).toBe(expected.length);
    expect(expected.length).toBe(current.length + previous.length + edge.length);
  });

  it('declares exactly the schema types (plus the partition keys as text)', async () => {
    const described = await query(db.connection, 'DESCRIBE contacts');
    const unquote = (type: string): string => type.replace(/"/g, '');
    const actual = Object.fromEntries(described.map((d) => [String(d.column_name), unquote(String(d.column_type))]));
    const declared = Object.fromEntries(Object.entries(duckdbColumns()).map(([name, type]) => [name, unquote(type)]));
    expect(actual).toEqual({ ...declared, stream_id: 'VARCHAR', dt: 'VARCHAR', hour: 'VARCHAR' });
  });

  it('reads every column back equal to the normalizer output (so nothing valid became null)', async () => {
    const rows = await query(db.connection, 'SELECT * FROM contacts');
    const byRaw = new Map(expected.map((row) => [row.raw, row]));
    expect(byRaw.size).toBe(expected.length);
    for (const actual of rows) {
      const want = byRaw.get(actual.raw);
      expect(want, 'a row DuckDB read has no source line').toBeDefined();
      for (const { name } of COLUMNS) expect(actual[name], `${String(want?.conversation_id)}.${name}`).toEqual(want?.[name]);
    }
  });

  it('exercises every column with at least one non-null value', async () => {
    const counts = await query(db.connection, `SELECT ${COLUMNS.map((c) => `count("${c.name}") AS "${c.name}"`).join(', ')} FROM contacts`);
    for (const { name } of COLUMNS) expect(counts[0]?.[name], name).toBeGreaterThan(0);
  });

  it('round-trips timestamps at millisecond precision', async () => {
    const rows = await query(
      db.connection,
      `SELECT epoch_ms(conversation_start_time) AS start_ms, epoch_ms(a.agent_start_time) AS agent_ms, epoch_ms(audit_date) AS audit_ms
       FROM contacts, UNNEST(agents) AS u(a) WHERE conversation_id = 'c-voice-0001' ORDER BY agent_ms`,
    );
    expect(rows).toEqual([
      { start_ms: Date.parse('2026-05-02T13:01:34.250Z'), agent_ms: Date.parse('2026-05-02T13:01:40.123Z'), audit_ms: Date.parse('2026-05-02T16:30:00.999Z') },
      { start_ms: Date.parse('2026-05-02T13:01:34.250Z'), agent_ms: Date.parse('2026-05-02T13:02:00.000Z'), audit_ms: Date.parse('2026-05-02T16:30:00.999Z') },
    ]);
    const [prev] = await query(db.connection, `SELECT epoch_ms(conversation_start_time) AS ms FROM contacts WHERE conversation_id = 'c-e37aca9-0177-40be-8c2d-bc2789d6xxxx'`);
    expect(prev?.ms).toBe(Date.parse('2026-03-23T10:18:43.396Z'));
  });

  it('reads the partition keys as text, hour with its leading zero', async () => {
    const rows = await query(db.connection, 'SELECT stream_id, dt, hour, count(*) AS n FROM contacts GROUP BY ALL ORDER BY dt');
    expect(rows).toEqual([
      { stream_id: 'st-demo', dt: '2026-03-23', hour: '10', n: previous.length },
      { stream_id: 'st-demo', dt: '2026-05-02', hour: '05', n: current.length + edge.length },
    ]);
    expect(PARTITION_KEYS.map((p) => p.name)).toEqual(['stream_id', 'dt', 'hour']);
  });

  it("supports map access: custom_fields['Region']", async () => {
    const rows = await query(db.connection, `SELECT custom_fields['Region'] AS region, count(*) AS n FROM contacts WHERE custom_fields IS NOT NULL GROUP BY 1 ORDER BY 1`);
    expect(rows).toEqual([
      { region: 'EU', n: 1 },
      { region: 'US', n: 2 },
    ]);
  });

  it('supports UNNEST(metrics) and json_extract on the justification JSON', async () => {
    const [total] = await query(db.connection, 'SELECT count(*) AS n FROM contacts, UNNEST(metrics) AS u(m)');
    const sourceMetrics = [...current, ...previous, ...edge].reduce(
      (sum, c) => sum + (Array.isArray(c.Metrics) ? c.Metrics.length : Array.isArray(c.metrics) ? c.metrics.length : 0),
      0,
    );
    expect(total?.n).toBe(sourceMetrics);
    const values = await query(
      db.connection,
      `SELECT m.metric_name AS metric, json_extract(m.justification_json, '$[0].sourceSystemValue')::VARCHAR AS value
       FROM contacts, UNNEST(metrics) AS u(m)
       WHERE json_extract(m.justification_json, '$[0].sourceSystemValue') IS NOT NULL ORDER BY 1, 2`,
    );
    expect(values).toEqual([
      { metric: 'ByValue1 + PPS', value: '"3.5"' },
      { metric: 'ByValue1 + PPS', value: '"3.5"' },
      { metric: 'Greeting', value: '42' },
      { metric: 'New StaticValue + nested resp', value: '3.5' },
    ]);
  });

  it('groups configured intents by level with a single UNNEST', async () => {
    const rows = await query(
      db.connection,
      `SELECT i.l1_topic AS l1, count(*) AS paths FROM contacts, UNNEST(configured_intents) AS u(i) GROUP BY 1 ORDER BY 1`,
    );
    expect(rows).toEqual([
      { l1: 'Billing', paths: 1 },
      { l1: 'Cards', paths: 1 },
      { l1: 'Core Banking Inquiry', paths: 3 },
      { l1: 'E-commerce', paths: 1 },
      { l1: 'Online/Mobile Banking', paths: 1 },
      { l1: 'Payments', paths: 1 },
      { l1: 'Problem Solving', paths: 1 },
    ]);
  });

  it('reaches fields the schema does not know through raw', async () => {
    const [row] = await query(
      db.connection,
      `SELECT json_extract_string(raw, '$.vendorExperimentalField.unknownToTheSchema') AS v FROM contacts WHERE conversation_id = 'c-voice-0001'`,
    );
    expect(row?.v).toBe('UNKNOWN-FIELD-MARKER');
  });
});

describe('a line that does not agree with the schema', () => {
  const good = (): Record<string, unknown> => ({ ...(expected[0] as Record<string, unknown>) });

  function badFile(name: string, row: Record<string, unknown>): string {
    const path = join(dir, 'bad', `${name}.jsonl.gz`);
    writeLines(path, [JSON.stringify(expected[1]), JSON.stringify(row)]);
    return path;
  }

  it('makes DuckDB itself throw when text is not a number in a DOUBLE column', async () => {
    const file = badFile('text-in-double', { ...good(), sentiment_score: 'high' });
    await expect(db.connection.run(`SELECT * FROM ${readJsonSql([file], { hivePartitioning: false })}`)).rejects.toThrow(
      /Failed to cast value to numerical/,
    );
    await expect(loadContacts(db.connection, { files: [file], hivePartitioning: false, table: 'bad' })).rejects.toThrow(SchemaMismatchError);
  });

  it('is caught by the strict check where DuckDB alone would coerce silently', async () => {
    const lenient = badFile('coercible', { ...good(), sentiment_score: '1.78', conversation_id: 42, is_passed: 1 });
    // DuckDB's read_json accepts these (quoted number in DOUBLE, number in VARCHAR, 1 in BOOLEAN)...
    const read = await query(db.connection, `SELECT count(*) AS n FROM ${readJsonSql([lenient], { hivePartitioning: false })}`);
    expect(read[0]?.n).toBe(2);
    // ...but they are not the declared types, and Athena's SerDe would not read all of them the same way.
    const error = await loadContacts(db.connection, { files: [lenient], hivePartitioning: false, table: 'bad' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect((error as SchemaMismatchError).violations).toEqual([
      { file: lenient, line: 2, columns: ['conversation_id', 'sentiment_score', 'is_passed'] },
    ]);
    expect((error as Error).message).toContain(`${lenient}:2`);
  });

  it('catches a wrong type inside a struct in an array, a bad timestamp, a missing or extra column', async () => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      ['nested', { ...good(), agents: [{ ...((good().agents as object[])[0] as object), empathy_score: '7' }] }, ['agents']],
      ['timestamp', { ...good(), conversation_start_time: '2026-05-02T13:01:34.000Z' }, ['conversation_start_time']],
      ['float-in-bigint', { ...good(), duration_ms: 99000.5 }, ['duration_ms']],
      ['map-value', { ...good(), custom_fields: { Region: 5 } }, ['custom_fields']],
      ['missing', (() => { const r = good(); delete r.src; return r; })(), ['(keys are not exactly the schema columns in order)']],
      ['extra', { ...good(), surprise: 1 }, ['(keys are not exactly the schema columns in order)']],
    ];
    for (const [name, row, columns] of cases) {
      const file = badFile(name, row);
      const error = await loadContacts(db.connection, { files: [file], hivePartitioning: false, table: 'bad' }).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(SchemaMismatchError);
      expect((error as SchemaMismatchError).violations, name).toEqual([{ file, line: 2, columns }]);
    }
  });

  it('fails on a line that is not JSON', async () => {
    const file = join(dir, 'bad', 'not-json.jsonl.gz');
    writeLines(file, [JSON.stringify(expected[0]), '{"conversation_id": ']);
    await expect(loadContacts(db.connection, { files: [file], hivePartitioning: false, table: 'bad' })).rejects.toThrow(SchemaMismatchError);
  });

  it('creates an empty table with the declared columns when there are no files', async () => {
    expect(await loadContacts(db.connection, { files: [], table: 'empty' })).toEqual({ table: 'empty', rows: 0 });
    const described = await query(db.connection, 'DESCRIBE empty');
    expect(described.map((d) => d.column_name)).toEqual([...COLUMNS, ...PARTITION_KEYS].map((c) => c.name));
  });
});
