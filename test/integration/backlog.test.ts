import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler, resetRuntimeForTests } from '../../functions/sync/handler';
import { backlogOf, HISTORY_ADVICE } from '../../functions/lib/sync/backlog';
import { lambdaContext, scheduledEvent, startHarness, type Harness } from '../support/harness';

let h: Harness;
const saved = process.env;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  process.env = saved;
  resetRuntimeForTests();
  await h.close();
});

describe('a scheduled run over a long backlog', () => {
  it('states in its log how far behind each stream is and how history will arrive', async () => {
    process.env = {
      ...saved,
      ...h.env({ KORE_STREAM_IDS: 'st-alpha', ARCHIVE_START: '2026-11-19T00', ARCHIVE_MAX_CATCHUP_HOURS: '2', POWERTOOLS_LOG_LEVEL: 'WARN' }),
    };
    resetRuntimeForTests();
    const lines: string[] = [];
    // Powertools writes WARN through console.warn, to stderr; both streams are captured.
    const writes = { out: process.stdout.write, err: process.stderr.write };
    const capture = ((chunk: string | Uint8Array) => {
      lines.push(...chunk.toString().split('\n').filter((l) => l.startsWith('{')));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    let summary;
    try {
      summary = await handler(scheduledEvent('2026-11-20T12:05:00Z'), lambdaContext());
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }
    // Due: 2026-11-19T00 .. 2026-11-20T11 (36 hours); this run archived 2.
    expect(summary.hoursBehind).toEqual({ 'st-alpha': 34 });
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.message).startsWith('the archive is behind'));
    expect(warning).toMatchObject({
      level: 'WARN',
      maxCatchUpHours: 2,
      streams: [{ streamId: 'st-alpha', hoursBehind: 34, runsToCatchUp: 17 }],
      advice: HISTORY_ADVICE,
    });
  });

  it('says nothing for manual runs or streams that are current', () => {
    expect(backlogOf({ kind: 'manual', hoursBehind: {} }, 24)).toEqual([]);
    expect(backlogOf({ kind: 'scheduled', hoursBehind: { a: 0, b: 49 } }, 24)).toEqual([{ streamId: 'b', hoursBehind: 49, runsToCatchUp: 3 }]);
  });
});
