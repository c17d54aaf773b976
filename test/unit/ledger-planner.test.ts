/** The planner: due work in order, fair between streams, with costs estimated from the ledger. */
import { describe, expect, it } from 'vitest';
import { markDue, recordFailure, recordProgress, recordSuccess, type LedgerEntry } from '../../functions/lib/ledger/entry';
import {
  estimateRequests,
  planWork,
  selectWork,
  streamBacklog,
  streamWork,
  type PlanPolicy,
  type StreamView,
  type WorkItem,
} from '../../functions/lib/ledger/planner';

const H = (text: string): Date => new Date(`${text}:00:00.000Z`);
const MIN = 60_000;
const TIERS = [3, 24, 168];
const POLICY: PlanPolicy = { archiveStart: H('2026-11-20T00'), refreshLagHours: TIERS, maxAttempts: 3, retryBackoffMs: 30 * MIN };

function archived(streamId: string, hour: Date, at: Date, requests = 1): LedgerEntry {
  return recordSuccess(undefined, { streamId, hour, at, runId: 'r', records: requests * 100, apiTotalResults: requests * 100, requests, tiers: TIERS });
}

function failed(streamId: string, hour: Date, at: Date, times: number): LedgerEntry {
  let entry: LedgerEntry | undefined;
  for (let i = 0; i < times; i += 1) {
    entry = recordFailure(entry, { streamId, hour, at, runId: 'r', error: { name: 'KoreApiError', message: `HTTP 500 #${i}` }, requests: 1, maxAttempts: 3 });
  }
  return entry as LedgerEntry;
}

function view(streamId: string, entries: readonly LedgerEntry[], settledBefore?: Date): StreamView {
  return {
    streamId,
    head: { streamId, origin: H('2026-11-20T00'), version: 1, updatedAt: H('2026-11-20T00'), ...(settledBefore === undefined ? {} : { settledBefore }) },
    entries: new Map(entries.map((e) => [e.hour.getTime(), e])),
  };
}

const label = (w: WorkItem): string => `${w.streamId}@${w.hour.toISOString().slice(5, 13)} ${w.kind}${w.quarantined ? ' (quarantined)' : ''}`;

describe('streamWork', () => {
  it('lists hours never archived, oldest first, up to the newest closed hour', () => {
    const work = streamWork(view('a', [archived('a', H('2026-11-20T01'), H('2026-11-20T02'))]), POLICY, new Date('2026-11-20T04:10:00Z'));
    expect(work.map(label)).toEqual(['a@11-20T00 new', 'a@11-20T02 new', 'a@11-20T03 new']);
  });

  it('keeps a failed hour waiting for its backoff without blocking the hours after it', () => {
    const entries = [failed('a', H('2026-11-20T00'), H('2026-11-20T01'), 2), archived('a', H('2026-11-20T01'), H('2026-11-20T02'))];
    // Two failures: the next retry waits 60 minutes from the last attempt.
    expect(streamWork(view('a', entries), POLICY, new Date('2026-11-20T01:59:00Z')).map(label)).toEqual([]);
    expect(streamWork(view('a', entries), POLICY, new Date('2026-11-20T03:00:00Z')).map(label)).toEqual(['a@11-20T02 new', 'a@11-20T00 retry']);
  });

  it('retries a quarantined hour once a day, after the other retries; too many failures count as quarantined', () => {
    const quarantined = failed('a', H('2026-11-20T00'), H('2026-11-20T01'), 3);
    expect(quarantined.status).toBe('quarantined');
    const stillFailed = { ...failed('a', H('2026-11-20T01'), H('2026-11-20T02'), 2), attempts: 5 };
    const entries = [quarantined, stillFailed, failed('a', H('2026-11-20T02'), H('2026-11-20T03'), 1)];

    expect(streamWork(view('a', entries), POLICY, H('2026-11-20T23')).map(label)).toEqual([
      ...['03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22'].map((h) => `a@11-20T${h} new`),
      'a@11-20T02 retry',
    ]);
    expect(streamWork(view('a', entries), POLICY, H('2026-11-21T03')).filter((w) => w.kind !== 'new').map(label)).toEqual([
      'a@11-20T02 retry',
      'a@11-20T00 retry (quarantined)',
      'a@11-20T01 retry (quarantined)',
    ]);
  });

  it('keeps a refresh due until it is done, and counts it overdue', () => {
    const hour = H('2026-11-20T00');
    const first = archived('a', hour, H('2026-11-20T01'));
    const settled = new Date('2026-11-20T01:00:00Z');
    const at = (text: string) =>
      streamWork(view('a', [first], settled), POLICY, new Date(text))
        .filter((w) => w.kind === 'refresh')
        .map(label);

    expect(at('2026-11-20T03:59:00Z')).toEqual([]);
    expect(at('2026-11-20T04:00:00Z')).toEqual(['a@11-20T00 refresh']);
    // Not done for two days: still due, once (one archive now satisfies both the 3 h and the 24 h tier).
    expect(at('2026-11-22T04:00:00Z')).toEqual(['a@11-20T00 refresh']);
    expect(streamBacklog(view('a', [first], settled), POLICY, H('2026-11-22T04'))).toMatchObject({ refreshesDue: 1, refreshesOverdue: 1 });

    const refreshed = recordSuccess(first, { streamId: 'a', hour, at: H('2026-11-20T04'), runId: 'r', records: 1, apiTotalResults: 1, requests: 1, tiers: TIERS });
    const later = (now: Date) => streamWork(view('a', [refreshed], settled), POLICY, now).filter((w) => w.kind === 'refresh').map(label);
    expect(later(H('2026-11-21T00'))).toEqual([]);
    expect(later(H('2026-11-21T01'))).toEqual(['a@11-20T00 refresh']);
  });

  it('orders new, refresh, retry, quarantined retry, backfill; continues a checkpointed window in its class', () => {
    const now = H('2026-11-22T12');
    const entries = [
      markDue(undefined, { streamId: 'a', hour: H('2026-11-19T23'), at: H('2026-11-22T00'), runId: 'bf', kind: 'backfill' }),
      archived('a', H('2026-11-20T00'), H('2026-11-22T00')),
      failed('a', H('2026-11-20T01'), H('2026-11-20T02'), 3),
      failed('a', H('2026-11-20T02'), H('2026-11-20T03'), 1),
      archived('a', H('2026-11-20T03'), H('2026-11-20T04')),
      recordProgress(undefined, { streamId: 'a', hour: H('2026-11-20T04'), at: H('2026-11-22T11'), runId: 'r', requests: 5, checkpoint: { page: 6 } }),
      ...Array.from({ length: 55 }, (_, i) => archived('a', new Date(H('2026-11-20T05').getTime() + i * 3_600_000), H('2026-11-22T12'))),
    ];
    expect(streamWork(view('a', entries), POLICY, now).map(label)).toEqual([
      'a@11-20T04 new',
      'a@11-20T03 refresh',
      'a@11-20T02 retry',
      'a@11-20T01 retry (quarantined)',
      'a@11-19T23 backfill',
    ]);
  });

  it('gives a backfilled hour that was never archived, inside the archive, the priority of the catch-up', () => {
    const now = H('2026-11-20T03');
    const due = (hour: Date): LedgerEntry => markDue(undefined, { streamId: 'a', hour, at: H('2026-11-20T02'), runId: 'bf', kind: 'backfill' });
    const entries = [due(H('2026-11-19T05')), due(H('2026-11-20T01')), archived('a', H('2026-11-20T00'), H('2026-11-20T01'))];
    expect(streamWork(view('a', entries), POLICY, now).map(label)).toEqual(['a@11-20T01 new', 'a@11-20T02 new', 'a@11-19T05 backfill']);
  });

  it('plans nothing before the settled watermark and nothing before the archive start', () => {
    const work = streamWork(view('a', [], H('2026-11-20T10')), { ...POLICY, archiveStart: H('2026-11-20T00') }, H('2026-11-20T12'));
    expect(work.map(label)).toEqual(['a@11-20T10 new', 'a@11-20T11 new']);
    const origin = streamWork(view('a', []), { ...POLICY, archiveStart: undefined }, H('2026-11-20T02'));
    expect(origin.map(label)).toEqual(['a@11-20T00 new', 'a@11-20T01 new']);
  });
});

describe('planWork', () => {
  it('interleaves streams by estimated requests, so a large backlog does not starve a small stream', () => {
    const now = H('2026-11-20T06');
    // Stream "big" archived its first hours at 50 requests each; "small" at 1.
    const big = view('big', [archived('big', H('2026-11-20T00'), H('2026-11-20T01'), 50)]);
    const small = view('small', [archived('small', H('2026-11-20T00'), H('2026-11-20T01'), 1)]);

    const plan = planWork([big, small], POLICY, now).map((w) => `${w.streamId}:${w.estimatedRequests}`);

    // Each has 5 new hours and hour 00's first refresh: "small" gets all 6 before "big" gets its second.
    expect(plan.slice(0, 8)).toEqual(['big:50', 'small:1', 'small:1', 'small:1', 'small:1', 'small:1', 'small:1', 'big:50']);
    expect(plan).toHaveLength(12);
  });

  it('alternates streams of equal cost', () => {
    const plan = planWork([view('a', []), view('b', [])], POLICY, H('2026-11-20T02')).map(label);
    expect(plan).toEqual(['a@11-20T00 new', 'b@11-20T00 new', 'a@11-20T01 new', 'b@11-20T01 new']);
  });
});

describe('estimateRequests and selectWork', () => {
  const hour = H('2026-11-20T05');

  it('uses the last cost, else the dearest neighbour, else one request; a checkpoint subtracts what was spent', () => {
    expect(estimateRequests(archived('a', hour, H('2026-11-20T06'), 7), [archived('a', H('2026-11-20T04'), H('2026-11-20T05'), 90)])).toBe(7);
    expect(estimateRequests(undefined, [undefined, archived('a', H('2026-11-20T04'), H('2026-11-20T05'), 12), archived('a', H('2026-11-19T05'), H('2026-11-19T06'), 30)])).toBe(30);
    expect(estimateRequests(undefined, [])).toBe(1);
    const checkpointed = recordProgress(undefined, { streamId: 'a', hour, at: H('2026-11-20T07'), runId: 'r', requests: 20, checkpoint: { page: 21 } });
    expect(estimateRequests(checkpointed, [archived('a', H('2026-11-20T04'), H('2026-11-20T05'), 50)])).toBe(30);
  });

  it('starts what fits, leaves the rest due, and starts a window larger than any invocation when half of one is left', () => {
    const item = (name: string, estimatedRequests: number): WorkItem => ({
      streamId: name,
      hour,
      kind: 'new',
      quarantined: false,
      dueAt: hour,
      estimatedRequests,
      entry: undefined,
    });
    const plan = [item('a', 300), item('b', 600), item('c', 200), item('huge', 2_000)];

    const fresh = selectWork(plan, { remainingRequests: 900, invocationRequests: 900 });
    expect(fresh.start.map((w) => w.streamId)).toEqual(['a', 'b']);
    expect(fresh.deferred.map((w) => w.streamId)).toEqual(['c', 'huge']);

    const half = selectWork([item('huge', 2_000), item('a', 10)], { remainingRequests: 450, invocationRequests: 900 });
    expect(half.start.map((w) => w.streamId)).toEqual(['huge']);
    expect(selectWork([item('huge', 2_000)], { remainingRequests: 449, invocationRequests: 900 }).start).toEqual([]);
  });
});

describe('streamBacklog', () => {
  it('summarises hours behind, failures, quarantines, the next refresh and the latest error', () => {
    const entries = [
      archived('a', H('2026-11-20T00'), H('2026-11-20T01')),
      failed('a', H('2026-11-20T01'), H('2026-11-20T02'), 1),
      failed('a', H('2026-11-20T02'), H('2026-11-20T03'), 3),
    ];
    expect(streamBacklog(view('a', entries), POLICY, new Date('2026-11-20T03:30:00Z'))).toEqual({
      streamId: 'a',
      hoursBehind: 2,
      refreshesDue: 0,
      refreshesOverdue: 0,
      failed: 1,
      quarantined: 1,
      backfillPending: 0,
      nextRefreshDueAt: H('2026-11-20T04'),
      // One archived hour: 1 request for 100 contacts.
      requestsPerContact: 0.01,
      unknownKeys: [],
      lastError: { name: 'KoreApiError', message: 'HTTP 500 #2', hour: H('2026-11-20T02'), at: H('2026-11-20T03') },
    });
  });
});
