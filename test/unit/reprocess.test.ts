import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseColumnAliases } from '../../functions/lib/archive/aliases';
import { createNormalizer, normalizeContact, type IngestContext } from '../../functions/lib/archive/normalize';
import { rebuildRow } from '../../functions/lib/archive/reprocess';
import { COLUMNS, SCHEMA_VERSION } from '../../functions/lib/archive/schema';
import { StoredRowError } from '../../functions/lib/errors';
import type { RawContact } from '../../functions/lib/types';
import { apiContact } from '../support/contacts';
import { thrownBy } from '../support/errors';

const ctx: IngestContext = {
  streamId: 'st-demo',
  window: { start: new Date('2026-05-02T13:00:00Z'), end: new Date('2026-05-02T14:00:00Z') },
  runId: 'run-first',
  archivedAt: new Date('2026-05-02T14:05:06.789Z'),
};

const INGESTION = { archived_at: '2026-05-02 14:05:06.789', window_start: '2026-05-02 13:00:00.000', window_end: '2026-05-02 14:00:00.000', run_id: 'run-first' };

/** The line the writer stores for a contact given as exact text. */
function storedLine(text: string): string {
  return JSON.stringify(normalizeContact(apiContact(text), ctx).row);
}

const current = (JSON.parse(readFileSync(new URL('../fixtures/rawdata-response-current.json', import.meta.url), 'utf8')) as { results: RawContact[] }).results;
const plain = { normalizer: createNormalizer() };

describe('rebuildRow', () => {
  it('gives back the same row for a line archived with the same schema and no new alias', () => {
    for (const contact of current) {
      const line = storedLine(JSON.stringify(contact));
      const { row, problems, drift } = rebuildRow(line, plain);
      expect(JSON.stringify(row)).toBe(line);
      expect(problems).toEqual([]);
      expect(drift.unknownKeys).toEqual([]);
    }
  });

  it('fills a column from raw through a new alias, keeping raw and the ingestion columns as they were', () => {
    const text = '{"Conversation ID": "c-late", "Audit State": "Audited", "Agents": [{"Agent Key": "a-1"}], "big": 9007199254740993}';
    const line = storedLine(text);
    expect(JSON.parse(line)).toMatchObject({ audit_status: null });

    const aliases = parseColumnAliases({ audit_status: 'Audit State', 'agents.agent_id': ['Agent Key'] }, 'ARCHIVE_COLUMN_ALIASES');
    const { row, drift } = rebuildRow(line, { normalizer: createNormalizer({ aliases }) });
    expect(row).toMatchObject({ conversation_id: 'c-late', audit_status: 'Audited', agents: [{ agent_id: 'a-1' }], ...INGESTION });
    expect(row.raw).toBe(text);
    expect(row.schema_version).toBe(SCHEMA_VERSION);
    expect(Object.keys(row)).toEqual(COLUMNS.map((c) => c.name));
    expect(drift.unknownKeys).toEqual(['big']);
    // The rebuilt line still carries the integer beyond 2^53 exactly.
    expect(JSON.stringify(row)).toContain('9007199254740993');
  });

  it('rebuilds a line of an older shape: columns it lacks are derived, ingestion columns it lacks are null', () => {
    const stored = JSON.parse(storedLine('{"Conversation ID": "c-old", "Language": "English"}')) as Record<string, unknown>;
    delete stored.language;
    delete stored.window_end;
    const { row } = rebuildRow(JSON.stringify(stored), plain);
    expect(row).toMatchObject({ language: 'English', window_end: null, run_id: 'run-first' });
    expect(Object.keys(row)).toEqual(COLUMNS.map((c) => c.name));
  });

  it('keeps a raw value that is not an object, reported as on the first archiving', () => {
    const { row, problems } = rebuildRow(storedLine('[1, 2]'), plain);
    expect(row.raw).toBe('[1, 2]');
    expect(problems).toEqual(['contact: not an object']);
  });

  it.each([
    ['{"raw": "{}", ', 'an archived line is not valid JSON'],
    ['["SECRET-VALUE"]', 'an archived line is not a JSON object'],
    ['{"conversation_id": "SECRET-VALUE"}', 'an archived line has no raw contact text'],
    ['{"raw": "{\\"SECRET-VALUE\\": "}', 'the raw text of an archived line is not valid JSON'],
  ])('refuses %s naming the problem, never the content', (line, message) => {
    const error = thrownBy(() => rebuildRow(line, plain), StoredRowError);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('SECRET');
  });
});
