/** The ledger's entry transitions, stored form, compare-and-swap updates and migration, in memory. */
import { describe, expect, it } from 'vitest';
import { parseDay, serializeDay } from '../../functions/lib/ledger/codec';
import {
  errorInfo,
  markDue,
  recordFailure,
  recordProgress,
  recordSuccess,
  refreshState,
  type LedgerEntry,
} from '../../functions/lib/ledger/entry';
import { LedgerConflictError, LedgerCorruptError } from '../../functions/lib/ledger/errors';
import { advanceSettled, ensureMigrated, markHoursDue, readStreamView, settleStream, settledWatermark } from '../../functions/lib/ledger/head';
import { ledgerDayKey } from '../../functions/lib/ledger/keys';
import { MemoryLedger } from '../../functions/lib/ledger/ledger';
import { MemoryObjects, type ConditionalObjects, type WriteCondition } from '../../functions/lib/ledger/objects';

const H = (text: string): Date => new Date(`${text}:00:00.000Z`);
const TIERS = [3, 24, 168];
const change = (hour: Date, at = H('2026-11-20T12')) => ({ streamId: 's1', hour, at, runId: 'run-1' });
const noSleep = async (): Promise<void> => {};

describe('entry transitions', () => {
  it('records a success: archived, attempts reset, checkpoint and error cleared, requests summed over invocations', () => {
    const hour = H('2026-11-20T10');
    let entry = recordProgress(undefined, { ...change(hour), requests: 40, checkpoint: { page: 41 } });
    entry = recordFailure(entry, { ...change(hour), error: { name: 'KoreApiError', message: 'HTTP 500' }, requests: 2, maxAttempts: 5 });
    entry = recordSuccess(entry, { ...change(hour, H('2026-11-20T11')), records: 4000, apiTotalResults: 4000, requests: 60, tiers: TIERS });

    expect(entry).toEqual({
      streamId: 's1',
      hour,
      status: 'archived',
      attempts: 0,
      lastAttemptAt: H('2026-11-20T11'),
      lastSuccessAt: H('2026-11-20T11'),
      records: 4000,
      apiTotalResults: 4000,
      requests: 102,
      refresh: { done: [], nextDueAt: H('2026-11-20T14') },
      runId: 'run-1',
    });
  });

  it('quarantines after maxAttempts failures in a row and keeps only name and message of the error', () => {
    const hour = H('2026-11-20T10');
    let entry: LedgerEntry | undefined;
    const statuses: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      entry = recordFailure(entry, { ...change(hour), error: errorInfo(new TypeError('bad page')), requests: 1, maxAttempts: 3 });
      statuses.push(entry.status);
    }
    expect(statuses).toEqual(['failed', 'failed', 'quarantined']);
    expect(entry?.lastError).toEqual({ name: 'TypeError', message: 'bad page' });
    expect(entry?.pending).toBe('new');
  });

  it('running out of time is progress, not failure: attempts unchanged, checkpoint kept, refresh kind for an archived hour', () => {
    const hour = H('2026-11-20T10');
    const archived = recordSuccess(undefined, { ...change(hour), records: 1, apiTotalResults: 1, requests: 1, tiers: TIERS });
    const progressed = recordProgress(archived, { ...change(hour), requests: 7, checkpoint: { read: [1, 2] } });
    expect(progressed).toMatchObject({ status: 'pending', pending: 'refresh', attempts: 0, checkpoint: { read: [1, 2] }, requestsSinceSuccess: 7 });
  });

  it('a backfill request clears a quarantine so the hour is tried again', () => {
    const hour = H('2026-11-20T10');
    const quarantined = recordFailure(undefined, { ...change(hour), error: { name: 'E', message: 'm' }, requests: 0, maxAttempts: 1 });
    expect(markDue(quarantined, { ...change(hour), kind: 'backfill' })).toMatchObject({ status: 'pending', pending: 'backfill', attempts: 0 });
  });

  it('counts a refresh tier done when an archive was taken after it fell due', () => {
    const hour = H('2026-11-20T10');
    expect(refreshState(hour, H('2026-11-20T11'), TIERS)).toEqual({ done: [], nextDueAt: H('2026-11-20T14') });
    expect(refreshState(hour, H('2026-11-21T12'), TIERS)).toEqual({ done: [3, 24], nextDueAt: H('2026-11-27T11') });
    expect(refreshState(hour, H('2026-12-20T00'), TIERS)).toEqual({ done: [3, 24, 168] });
  });
});

describe('stored form', () => {
  const day = H('2026-11-20T00');
  const entry = recordSuccess(undefined, { ...change(H('2026-11-20T10')), records: 3, apiTotalResults: 3, requests: 1, tiers: TIERS });

  it('round-trips entries, including an opaque checkpoint', () => {
    const progressed = recordProgress(entry, { ...change(H('2026-11-20T10')), requests: 2, checkpoint: { pages: [1, 2], cursor: 'x' } });
    const text = serializeDay('s1', day, [progressed]);
    expect(parseDay(text, 'memory://k', 's1', day).get(H('2026-11-20T10').getTime())).toEqual(progressed);
  });

  it('names the key and the field of a corrupt document', () => {
    const text = serializeDay('s1', day, [entry]).replace('"archived"', '"done"');
    expect(() => parseDay(text, 's3://b/k.json', 's1', day)).toThrow(LedgerCorruptError);
    expect(() => parseDay(text, 's3://b/k.json', 's1', day)).toThrow(/s3:\/\/b\/k\.json is corrupt: hours\.10\.status/);
    expect(() => parseDay('{', 's3://b/k.json', 's1', day)).toThrow(/s3:\/\/b\/k\.json is corrupt: not valid JSON/);
    expect(() => parseDay(serializeDay('s1', day, [entry]), 's3://b/k.json', 's2', day)).toThrow(/holds stream s1/);
  });

  it('refuses to store an entry under another day', () => {
    expect(() => serializeDay('s1', H('2026-11-21T00'), [entry])).toThrow(LedgerCorruptError);
  });
});

/** Objects where another writer updates the same key right before our first conditional write of it. */
class RacingObjects extends MemoryObjects {
  raced = 0;
  constructor(private readonly rival: (key: string) => Promise<void>) {
    super();
  }
  override async put(key: string, text: string, condition: WriteCondition): Promise<string> {
    if (this.raced === 0) {
      this.raced += 1;
      await this.rival(key);
    }
    return super.put(key, text, condition);
  }
}

describe('MemoryLedger', () => {
  it('never loses an update when another writer changes the same day document meanwhile', async () => {
    // The rival writes through the same objects (its own write does not race: `raced` is already 1).
    const objects: RacingObjects = new RacingObjects(async () => {
      await rivalLedger.update('s1', [H('2026-11-20T11')], (current, hour) => markDue(current, { ...change(hour), kind: 'backfill' }));
    });
    const rivalLedger = new MemoryLedger({ objects: objects as ConditionalObjects, sleep: noSleep });
    const ledger = new MemoryLedger({ objects, sleep: noSleep });

    await ledger.update('s1', [H('2026-11-20T10')], (current, hour) =>
      recordSuccess(current, { ...change(hour), records: 1, apiTotalResults: 1, requests: 1, tiers: TIERS }),
    );

    const entries = await ledger.read('s1', { from: H('2026-11-20T00'), to: H('2026-11-21T00') });
    expect([...entries.values()].map((e) => [e.hour.toISOString().slice(11, 13), e.status])).toEqual([
      ['10', 'archived'],
      ['11', 'pending'],
    ]);
    expect(objects.raced).toBe(1);
  });

  it('gives up with LedgerConflictError when every write loses', async () => {
    class AlwaysLosing extends MemoryObjects {
      #rivalWrites = 0;
      override async put(key: string, text: string, condition: WriteCondition): Promise<string> {
        // A rival always gets there first, each time with a new version (so a new ETag).
        await super.put(key, `${text}${' '.repeat(++this.#rivalWrites)}`, condition);
        return super.put(key, text, condition);
      }
    }
    const ledger = new MemoryLedger({ objects: new AlwaysLosing(), sleep: noSleep });
    await expect(
      ledger.update('s1', [H('2026-11-20T10')], (current, hour) => markDue(current, { ...change(hour), kind: 'new' })),
    ).rejects.toThrow(LedgerConflictError);
  });

  it('splits hours by UTC day and reads a range across days', async () => {
    const objects = new MemoryObjects();
    const ledger = new MemoryLedger({ objects });
    const hours = [H('2026-11-20T23'), H('2026-11-21T00'), H('2026-11-21T01')];
    await ledger.update('s1', hours, (current, hour) => markDue(current, { ...change(hour), kind: 'backfill' }));

    expect(await objects.list('kore-qa/_ledger/')).toEqual([
      ledgerDayKey('kore-qa', 's1', H('2026-11-20T00')),
      ledgerDayKey('kore-qa', 's1', H('2026-11-21T00')),
    ]);
    const read = await ledger.read('s1', { from: H('2026-11-20T23'), to: H('2026-11-21T01') });
    expect([...read.keys()]).toEqual([H('2026-11-20T23').getTime(), H('2026-11-21T00').getTime()]);
  });

  it('writes nothing when the change leaves every entry as it is', async () => {
    const objects = new MemoryObjects();
    const ledger = new MemoryLedger({ objects });
    expect(await ledger.update('s1', [H('2026-11-20T10')], () => undefined)).toEqual([]);
    expect(await objects.list('')).toEqual([]);
  });

  it('refuses unsafe stream ids and hours that are not whole', async () => {
    const ledger = new MemoryLedger();
    await expect(ledger.read('../x', { from: H('2026-11-20T00'), to: H('2026-11-21T00') })).rejects.toThrow(/streamId/);
    await expect(ledger.update('s1', [new Date('2026-11-20T10:30:00Z')], () => undefined)).rejects.toThrow(/whole UTC hour/);
  });
});

describe('head: migration and settled watermark', () => {
  const legacy = {
    async get() {
      return { lastArchivedHour: H('2026-11-20T09'), updatedAt: new Date('2026-11-20T10:05:00Z'), runId: 'old-run' };
    },
  };

  it('migrates a high-water mark: hours before it archived, the last week as entries with refreshes still due', async () => {
    const ledger = new MemoryLedger();
    const head = await ensureMigrated(ledger, 's1', { state: legacy, archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-20T11') });

    // Refresh tiers were all past at the state's time for hours up to 2026-11-13T09.
    expect(head.settledBefore).toEqual(H('2026-11-13T10'));
    const entries = await ledger.read('s1', { from: H('2026-11-01T00'), to: H('2026-11-21T00') });
    expect(entries.size).toBe(7 * 24);
    expect([...entries.values()].every((e) => e.status === 'archived' && e.lastSuccessAt?.toISOString() === '2026-11-20T10:05:00.000Z')).toBe(true);
    expect(entries.get(H('2026-11-20T09').getTime())?.refresh).toEqual({ done: [], nextDueAt: H('2026-11-20T13') });
    expect(entries.has(H('2026-11-20T10').getTime())).toBe(false);
  });

  it('migrates once: a second call returns the head without reading the old state again', async () => {
    const ledger = new MemoryLedger();
    await ensureMigrated(ledger, 's1', { state: legacy, archiveStart: undefined, tiers: TIERS, now: H('2026-11-20T11') });
    const failing = { get: () => Promise.reject(new Error('read again')) };
    await expect(ensureMigrated(ledger, 's1', { state: failing, archiveStart: undefined, tiers: TIERS, now: H('2026-11-21T11') })).resolves.toMatchObject({
      migratedFrom: { lastArchivedHour: H('2026-11-20T09') },
    });
  });

  it('creates an empty head for a stream with no history', async () => {
    const ledger = new MemoryLedger();
    const head = await ensureMigrated(ledger, 's1', { state: { get: async () => undefined }, archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-20T11') });
    expect(head).toEqual({ streamId: 's1', origin: H('2026-11-20T10'), version: 1, updatedAt: H('2026-11-20T11') });
  });

  it('moves the watermark over consecutive settled hours only', () => {
    const done = (hour: Date): LedgerEntry => recordSuccess(undefined, { ...change(hour, H('2026-12-31T00')), records: 1, apiTotalResults: 1, requests: 1, tiers: TIERS });
    const entries = new Map<number, LedgerEntry>();
    for (const h of ['2026-11-01T00', '2026-11-01T01', '2026-11-01T03']) entries.set(H(h).getTime(), done(H(h)));
    const at = { entries, tiers: TIERS, now: H('2026-12-31T00') };
    expect(settledWatermark({ ...at, current: undefined, start: H('2026-11-01T00') })).toEqual(H('2026-11-01T02'));
    expect(settledWatermark({ ...at, current: H('2026-11-01T02'), start: H('2026-11-01T00') })).toEqual(H('2026-11-01T02'));
    // Hours before the stream's start without an entry are not part of the archive: nothing to wait for.
    expect(settledWatermark({ ...at, current: H('2026-10-31T20'), start: H('2026-11-01T00') })).toEqual(H('2026-11-01T02'));
  });

  it('a backfill marks hours, then lowers the watermark; an advance planned from an older head does not move', async () => {
    const ledger = new MemoryLedger();
    await ensureMigrated(ledger, 's1', { state: legacy, archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-20T11') });
    const observed = await ledger.head('s1');
    if (observed === undefined) throw new Error('no head');

    await markHoursDue(ledger, 's1', { hours: [H('2026-11-05T00')], kind: 'backfill', start: H('2026-11-01T00'), now: H('2026-11-20T12'), runId: 'bf' });
    expect((await ledger.head('s1'))?.settledBefore).toEqual(H('2026-11-05T00'));

    expect(await advanceSettled(ledger, 's1', { observed, to: H('2026-11-15T00'), now: H('2026-11-20T13') })).toBe(false);
    expect((await ledger.head('s1'))?.settledBefore).toEqual(H('2026-11-05T00'));
  });

  it('a backfill of hours above the watermark still changes the head, so a run planned before it cannot skip them', async () => {
    const ledger = new MemoryLedger();
    await ensureMigrated(ledger, 's1', { state: legacy, archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-20T11') });
    const observed = await ledger.head('s1');
    if (observed === undefined) throw new Error('no head');

    // The run read the head (above), then the backfill marks an hour above the watermark and writes the head.
    await markHoursDue(ledger, 's1', { hours: [H('2026-11-15T00')], kind: 'backfill', start: H('2026-11-01T00'), now: H('2026-11-20T12'), runId: 'bf' });
    expect(await advanceSettled(ledger, 's1', { observed, to: H('2026-11-16T00'), now: H('2026-11-20T13') })).toBe(false);
  });

  it('a watermark advanced past a backfilled hour just before the backfill wrote the head is lowered again', async () => {
    const ledger = new MemoryLedger();
    await ensureMigrated(ledger, 's1', { state: legacy, archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-20T11') });
    const observed = await ledger.head('s1');
    if (observed === undefined) throw new Error('no head');

    // Interleaving: the backfill marks its entries; the run advances (its head is still current); the backfill writes the head.
    await ledger.update('s1', [H('2026-11-15T00')], (current, hour) => markDue(current, { ...change(hour), kind: 'backfill' }));
    expect(await advanceSettled(ledger, 's1', { observed, to: H('2026-11-16T00'), now: H('2026-11-20T13') })).toBe(true);
    await markHoursDue(ledger, 's1', { hours: [H('2026-11-15T00')], kind: 'backfill', start: H('2026-11-01T00'), now: H('2026-11-20T14'), runId: 'bf' });

    expect((await ledger.head('s1'))?.settledBefore).toEqual(H('2026-11-15T00'));
  });

  it('settles a stream from the view it planned with: the watermark moves over the hours needing nothing more', async () => {
    const ledger = new MemoryLedger();
    await ensureMigrated(ledger, 's1', { state: { get: async () => undefined }, archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-01T00') });
    await ledger.update('s1', [H('2026-11-01T00'), H('2026-11-01T01'), H('2026-11-01T03')], (current, hour) =>
      recordSuccess(current, { ...change(hour, H('2026-11-09T00')), records: 1, apiTotalResults: 1, requests: 1, tiers: TIERS }),
    );
    const view = await readStreamView(ledger, 's1', { archiveStart: H('2026-11-01T00'), now: H('2026-11-09T00') });

    expect(await settleStream(ledger, view, { archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-09T00') })).toBe(true);
    expect((await ledger.head('s1'))?.settledBefore).toEqual(H('2026-11-01T02'));
    // The same (now stale) view cannot move it again.
    expect(await settleStream(ledger, view, { archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-09T00') })).toBe(false);
  });
});
