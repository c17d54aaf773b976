/** The status grid and summary, from ledger entries, as text and JSON. */
import { describe, expect, it } from 'vitest';
import { markDue, recordFailure, recordProgress, recordSuccess, type LedgerEntry } from '../../functions/lib/ledger/entry';
import type { PlanPolicy, StreamView } from '../../functions/lib/ledger/planner';
import { renderStatus, statusJson, streamStatus, summaryLine } from '../../functions/lib/ledger/status-view';

const H = (text: string): Date => new Date(`${text}:00:00.000Z`);
const TIERS = [3, 24, 168];
const POLICY: PlanPolicy = { archiveStart: H('2026-11-19T02'), refreshLagHours: TIERS, maxAttempts: 3, retryBackoffMs: 1_800_000 };
const NOW = new Date('2026-11-20T12:30:00Z');

function success(hour: string, at: string): LedgerEntry {
  return recordSuccess(undefined, { streamId: 's1', hour: H(hour), at: H(at), runId: 'r', records: 5, apiTotalResults: 5, requests: 1, tiers: TIERS });
}

function failure(hour: string, times: number): LedgerEntry {
  let entry: LedgerEntry | undefined;
  for (let i = 0; i < times; i += 1) {
    entry = recordFailure(entry, { streamId: 's1', hour: H(hour), at: H('2026-11-20T11'), runId: 'r', error: { name: 'KoreApiError', message: 'GET /raw failed with HTTP 500' }, requests: 1, maxAttempts: 3 });
  }
  return entry as LedgerEntry;
}

function fixture(): StreamView {
  const entries = [
    // Day 1: hours 02-09 settled below the watermark (no entries), 10 refreshed a day later, 11 archived
    // recently enough that no refresh is due yet.
    success('2026-11-19T10', '2026-11-20T11'),
    success('2026-11-19T11', '2026-11-19T12'),
    // Day 2: 00 archived, refresh due (3 h tier passed long ago); 01 pending backfill (inside the archive, so
    // counted with the catch-up); 02 failed; 03 quarantined;
    // 04 continuing from a checkpoint; 05..08 archived after their 3 h tier fell due (so refreshed);
    // 09, 10 archived right after they closed; 11 missing.
    success('2026-11-20T00', '2026-11-20T01'),
    markDue(undefined, { streamId: 's1', hour: H('2026-11-20T01'), at: H('2026-11-20T11'), runId: 'bf', kind: 'backfill' }),
    failure('2026-11-20T02', 1),
    failure('2026-11-20T03', 3),
    recordProgress(undefined, { streamId: 's1', hour: H('2026-11-20T04'), at: H('2026-11-20T12'), runId: 'r', requests: 3, checkpoint: { page: 4 } }),
    ...['05', '06', '07', '08'].map((h) => success(`2026-11-20T${h}`, '2026-11-20T12')),
    success('2026-11-20T09', '2026-11-20T10'),
    success('2026-11-20T10', '2026-11-20T11'),
  ];
  return {
    streamId: 's1',
    head: { streamId: 's1', settledBefore: H('2026-11-19T10'), version: 1, updatedAt: H('2026-11-20T00') },
    entries: new Map(entries.map((e) => [e.hour.getTime(), e])),
  };
}

const RANGE = { from: H('2026-11-19T00'), to: H('2026-11-21T00') };

describe('streamStatus', () => {
  // Hours behind: 12 missing hours on day 1, and on day 2 the backfill, failed, quarantined and
  // continuing hours (none ever archived) plus hour 11.
  it('classifies every hour of every day', () => {
    const status = streamStatus(fixture(), POLICY, RANGE, NOW);
    expect(status.days.map((d) => d.date)).toEqual(['2026-11-19', '2026-11-20']);
    expect(status.days[0]?.hours.slice(0, 13)).toEqual([
      'outside', 'outside',
      ...Array<string>(8).fill('refreshed'),
      'refreshed', 'pending', 'missing',
    ]);
    expect(status.days[1]?.hours.slice(0, 14)).toEqual([
      'pending', 'pending', 'failed', 'quarantined', 'pending',
      ...Array<string>(4).fill('refreshed'),
      'archived', 'archived',
      'missing', 'open', 'open',
    ]);
  });
});

describe('renderStatus', () => {
  it('draws one character per hour in groups of six, with a summary line and a legend', () => {
    const lines = renderStatus([streamStatus(fixture(), POLICY, RANGE, NOW)], { color: false, now: NOW });
    expect(lines).toEqual([
      'kore-qa-archive status at 2026-11-20T12:30Z (hours in UTC)',
      '',
      's1: 17 hours behind, 2 refreshes due (2 overdue), 1 failed, 1 quarantined, ' +
        'next refresh due 2026-11-20T13, last error (2026-11-20T03): KoreApiError: GET /raw failed with HTTP 500',
      '            00     06     12     18',
      '2026-11-19    #### #####~ ...... ......',
      '2026-11-20  ~~x!~# ###++.',
      '',
      'legend: # refreshed (late data picked up)  + archived  ~ pending (refresh due, backfill, or continuing)  ' +
        'x failed (retried after a backoff)  ! quarantined (retried daily)  . missing (never archived); blank: outside the archive or not closed yet',
    ]);
  });

  it('colours the cells when asked, keeping the symbols', () => {
    const lines = renderStatus([streamStatus(fixture(), POLICY, RANGE, NOW)], { color: true, now: NOW });
    expect(lines[5]).toContain('\u001b[31mx\u001b[0m');
    expect(lines[5]?.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')).toBe('2026-11-20  ~~x!~# ###++.');
  });

  it('says when a stream has no ledger yet', () => {
    const status = streamStatus({ streamId: 's2', head: undefined, entries: new Map() }, { ...POLICY, archiveStart: H('2026-11-20T10') }, RANGE, NOW);
    expect(summaryLine(status)).toBe('s2: 2 hours behind, no ledger yet: shown as the next sync will create it from the old progress marker, if any');
  });
});

describe('statusJson', () => {
  it('gives scripts words and ISO dates', () => {
    const json = statusJson([streamStatus(fixture(), POLICY, RANGE, NOW)], NOW) as {
      streams: { streamId: string; summary: Record<string, unknown>; days: { date: string; hours: string[] }[] }[];
    };
    expect(json.streams[0]?.summary).toMatchObject({ hoursBehind: 17, failed: 1, quarantined: 1, nextRefreshDueAt: '2026-11-20T13:00:00.000Z' });
    expect(json.streams[0]?.days[1]?.hours[3]).toBe('quarantined');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
