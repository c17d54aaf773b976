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
      ...h.env({ KORE_STREAM_IDS: 'st-alpha', ARCHIVE_START: '2026-11-19T00', KORE_RATE_LIMIT_RPM: '60', POWERTOOLS_LOG_LEVEL: 'WARN' }),
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
      // 32.5 s left at 60 requests a minute: room for two one-request hours beyond the 30 s margin.
      summary = await handler(scheduledEvent('2026-11-20T12:05:00Z'), { ...lambdaContext(), getRemainingTimeInMillis: () => 32_500 });
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }
    // Due: 2026-11-19T00 .. 2026-11-20T11 (36 hours); this run archived 2.
    expect(summary.hoursBehind).toEqual({ 'st-alpha': 34 });
    expect(summary.workRemains).toBe(true);
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.message).startsWith('the archive is behind'));
    expect(warning).toMatchObject({ level: 'WARN', streams: [{ streamId: 'st-alpha', hoursBehind: 34 }], advice: HISTORY_ADVICE });
  });

  it('says nothing for manual runs or streams that are current', () => {
    expect(backlogOf({ kind: 'manual', hoursBehind: {} })).toEqual([]);
    expect(backlogOf({ kind: 'scheduled', hoursBehind: { a: 0, b: 49 } })).toEqual([{ streamId: 'b', hoursBehind: 49 }]);
  });
});
