/**
 * Schema drift end to end, short of S3: an hour archived while the vendor spelt keys differently (renamed and
 * misspelt keys, a new nested field) keeps `raw` intact and reports its drift; an alias plus a rebuild from
 * `raw` (no API involved) fills the typed columns, and DuckDB reads the rebuilt partition with the Glue types
 * and gives the corrected answer.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseColumnAliases } from '../../functions/lib/archive/aliases';
import { DriftCollector } from '../../functions/lib/archive/drift';
import { createNormalizer, normalizeContact, type IngestContext } from '../../functions/lib/archive/normalize';
import { rebuildRow } from '../../functions/lib/archive/reprocess';
import { loadContacts, openArchiveDb, query, type ArchiveDb } from '../../tools/duckdb';
import { apiContact } from '../support/contacts';

const ctx: IngestContext = {
  streamId: 'st-drift',
  window: { start: new Date('2026-11-20T10:00:00Z'), end: new Date('2026-11-20T11:00:00Z') },
  runId: 'run-before-alias',
  archivedAt: new Date('2026-11-20T11:05:00Z'),
};

/** Contacts in a shape the schema has never seen: `IsPassed` → `Passed Flag`, a misspelt score, a new agent field. */
const texts = [true, false, true, true].map((passed, i) =>
  JSON.stringify({
    'Conversation ID': `c-drift-${i}`,
    'Conversation Start Time': `2026-11-20T10:0${i}:00Z`,
    'Passed Flag': passed,
    'Kore Evalution Score': 50 + i,
    Agents: [{ agentId: `a-${i}`, 'Agent Label': `Agent ${i}`, 'Agent Shift': 'VALUE-early' }],
  }),
);

const PARTITION = 'contacts/stream_id=st-drift/dt=2026-11-20/hour=10/part-00000.jsonl.gz';
let dir: string;
let db: ArchiveDb;

function writePartition(lines: readonly string[]): string {
  const path = join(dir, PARTITION);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
  return path;
}

function readPartition(): string[] {
  return gunzipSync(readFileSync(join(dir, PARTITION))).toString('utf8').split('\n').filter((line) => line !== '');
}

async function passRate(): Promise<Record<string, unknown> | undefined> {
  await loadContacts(db.connection, { files: join(dir, 'contacts/**/*.jsonl.gz') });
  const [row] = await query(
    db.connection,
    `SELECT count(is_passed) AS evaluated, avg(CASE WHEN is_passed THEN 1 ELSE 0 END) FILTER (WHERE is_passed IS NOT NULL) AS pass_rate,
            avg(kore_evaluation_score) AS score, count(*) FILTER (WHERE agents[1].agent_name IS NOT NULL) AS named
     FROM contacts`,
  );
  return row;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rebuild-duckdb-'));
  db = await openArchiveDb();
});

afterAll(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an hour archived before the schema knew the new spellings', () => {
  it('keeps raw intact, reports the drift, and reads as nothing evaluated', async () => {
    const drift = new DriftCollector();
    const lines = texts.map((text) => {
      const result = normalizeContact(apiContact(text), ctx);
      drift.add(result);
      expect(result.row.raw).toBe(text);
      return JSON.stringify(result.row);
    });
    writePartition(lines);
    expect(drift.report()).toEqual({
      unknownKeys: { 'Kore Evalution Score': 4, 'Passed Flag': 4, 'agents[].Agent Label': 4, 'agents[].Agent Shift': 4 },
      typeMisfits: {},
    });
    expect(await passRate()).toEqual({ evaluated: 0, pass_rate: null, score: null, named: 0 });
  });

  it('is corrected by an alias and a rebuild from raw, which DuckDB reads with the Glue types', async () => {
    const aliases = parseColumnAliases(
      {
        is_passed: 'Passed Flag',
        kore_evaluation_score: ['Kore Evalution Score'],
        kore_evaluation_score_raw: ['Kore Evalution Score'],
        'agents.agent_name': ['Agent Label'],
      },
      'ARCHIVE_COLUMN_ALIASES',
    );
    const normalizer = createNormalizer({ aliases });
    const drift = new DriftCollector();
    const before = readPartition();
    const rebuilt = before.map((line) => {
      const result = rebuildRow(line, { normalizer });
      drift.add(result);
      return JSON.stringify(result.row);
    });
    writePartition(rebuilt);

    expect(drift.report()).toEqual({ unknownKeys: { 'agents[].Agent Shift': 4 }, typeMisfits: {} });
    expect(await passRate()).toEqual({ evaluated: 4, pass_rate: 0.75, score: 51.5, named: 4 });
    const rows = await query(db.connection, 'SELECT raw, run_id, epoch_ms(archived_at) AS archived_ms FROM contacts ORDER BY conversation_id');
    expect(rows.map((r) => r.raw)).toEqual(texts);
    for (const row of rows) expect(row).toMatchObject({ run_id: 'run-before-alias', archived_ms: ctx.archivedAt.getTime() });
  });
});
