/**
 * Schema drift end to end: the real handler, the simulator over HTTP, s3rver. A key the schema has never seen
 * is archived with `raw` intact and reported (manifest, one warning); an alias and a reprocess fill the typed
 * column for the hour already archived, with no request to the API, and DuckDB reads the result with the Glue types.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runStatusCommand } from '../../functions/cli/status';
import { handler, resetRuntimeForTests } from '../../functions/sync/handler';
import { openArchive } from '../../tools/archive-sql';
import { lambdaContext, startHarness, type Harness } from '../support/harness';

let h: Harness;
const saved = { ...process.env };
const STREAM = 'st-drift';
const HOUR = '2026-11-21T06';
const PARTITION = `kore-qa/contacts/stream_id=${STREAM}/dt=2026-11-21/hour=06/`;

function useEnv(extra: Record<string, string> = {}): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, h.env({ KORE_STREAM_IDS: STREAM, ...extra }));
  resetRuntimeForTests();
}

async function rows(): Promise<Record<string, unknown>[]> {
  return h.lines(`${PARTITION}part-00000.jsonl.gz`);
}

async function manifest(): Promise<Record<string, unknown>> {
  return JSON.parse((await h.s3.getObject(`${PARTITION}_manifest.json`)).toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  process.env = saved;
  await h.close();
});
beforeEach(() => useEnv());

describe('schema drift, seen and then repaired from raw', () => {
  it('reports an unknown key, then an alias and a reprocess fill the column for the archived hour with no API request', async () => {
    const start = new Date(`${HOUR}:00:00.000Z`);
    const end = new Date(start.getTime() + 3_600_000);
    const evaluated = h.sim.contactsInWindow(STREAM, start, end).filter((c) => typeof c.IsPassed === 'boolean');
    expect(evaluated.length).toBeGreaterThanOrEqual(3);
    // The vendor renames IsPassed for three contacts: the schema does not know "Passed Flag".
    const renamed = evaluated.slice(0, 3).map((c) => {
      const id = String(c['Conversation ID']);
      h.sim.updateContact(STREAM, id, { IsPassed: undefined, 'Passed Flag': c.IsPassed });
      return { id, passed: c.IsPassed as boolean };
    });

    await handler({ hours: [HOUR] }, lambdaContext());
    const before = await rows();
    const byId = (all: Record<string, unknown>[], id: string) => all.find((r) => r.conversation_id === id);
    for (const { id } of renamed) {
      expect(byId(before, id)?.is_passed).toBeNull();
      expect(String(byId(before, id)?.raw)).toContain('"Passed Flag"');
    }
    expect(await manifest()).toMatchObject({ reprocessCount: 0, drift: { unknownKeys: { 'Passed Flag': 3 } } });
    // `status` shows the drift per stream.
    const lines: string[] = [];
    expect(await runStatusCommand(['--stream', STREAM, '--from', '2026-11-21', '--to', '2026-11-22'], process.env, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toContain('drift: 1 unmapped key ("Passed Flag")');

    useEnv({ ARCHIVE_COLUMN_ALIASES: '{"is_passed": ["Passed Flag"]}' });
    const requests = h.sim.requests.length;
    const summary = await handler({ action: 'reprocess', from: HOUR, to: '2026-11-21T07' }, lambdaContext());
    expect(summary).toMatchObject({ kind: 'reprocess', rebuilt: 1, failed: 0, workRemains: false });
    expect(h.sim.requests.length).toBe(requests);

    const after = await rows();
    expect(after.map((r) => r.conversation_id).sort()).toEqual(before.map((r) => r.conversation_id).sort());
    for (const { id, passed } of renamed) expect(byId(after, id)?.is_passed).toBe(passed);
    for (const row of after) expect(row.raw).toBe(byId(before, String(row.conversation_id))?.raw);
    const m = await manifest();
    expect(m).toMatchObject({ archiveCount: 2, reprocessCount: 1, drift: { unknownKeys: {} }, changes: { added: 0, retained: before.length } });
    expect((m.fetch as { requests: number }).requests).toBeGreaterThan(0);

    const archive = await openArchive(`${await h.download('kore-qa/contacts/')}/kore-qa/contacts`);
    try {
      const [passRate] = await archive.query(
        `SELECT count(is_passed) AS evaluated FROM contacts WHERE stream_id = '${STREAM}' AND conversation_id IN (${renamed.map((r) => `'${r.id}'`).join(',')})`,
      );
      expect(passRate).toMatchObject({ evaluated: 3 });
    } finally {
      archive.close();
    }
  });

  it('prunes chosen conversation ids (the only way contacts are removed), keeping every other contact byte for byte', async () => {
    const hour = '2026-11-21T09';
    const partition = `kore-qa/contacts/stream_id=${STREAM}/dt=2026-11-21/hour=09/`;
    await handler({ hours: [hour] }, lambdaContext());
    const before = await h.lines(`${partition}part-00000.jsonl.gz`);
    const gone = before.slice(0, 2).map((r) => String(r.conversation_id));
    const requests = h.sim.requests.length;
    const summary = await handler({ action: 'prune', from: hour, to: '2026-11-21T10', conversationIds: gone }, lambdaContext());
    expect(summary).toMatchObject({ kind: 'prune', rebuilt: 1, failed: 0 });
    expect(h.sim.requests.length).toBe(requests);
    const after = await h.lines(`${partition}part-00000.jsonl.gz`);
    expect(after.map((r) => r.raw).sort()).toEqual(before.filter((r) => !gone.includes(String(r.conversation_id))).map((r) => r.raw).sort());
    const m = JSON.parse((await h.s3.getObject(`${partition}_manifest.json`)).toString('utf8')) as Record<string, unknown>;
    expect(m).toMatchObject({ reprocessCount: 0, changes: { removed: 2, retained: before.length - 2 } });
    await expect(handler({ action: 'prune', from: hour, to: '2026-11-21T10', conversationIds: [] }, lambdaContext())).rejects.toThrow(
      /"conversationIds" must be a non-empty list/,
    );
  });

  it('skips hours that were never archived and refuses streams that are not configured', async () => {
    const summary = await handler({ action: 'reprocess', from: '2026-10-01T00', to: '2026-10-01T02' }, lambdaContext());
    expect(summary).toMatchObject({ rebuilt: 0, skipped: 2, failed: 0 });
    expect(await h.s3.listKeys('kore-qa/contacts/stream_id=st-drift/dt=2026-10-01/')).toEqual([]);
    await expect(handler({ action: 'reprocess', from: HOUR, to: '2026-11-21T07', streams: ['st-other'] }, lambdaContext())).rejects.toThrow(
      /stream st-other is not in KORE_STREAM_IDS/,
    );
    await expect(handler({ action: 'reprocess', from: HOUR, to: HOUR }, lambdaContext())).rejects.toThrow(/"to" must be after "from"/);
  });
});
