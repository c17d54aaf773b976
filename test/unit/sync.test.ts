import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../functions/lib/archive/state';
import { KoreApiError, KoreAuthError } from '../../functions/lib/errors';
import { Leases, MemoryLedger, MemoryObjects, PLAN_DEFAULTS, type LedgerEntry } from '../../functions/lib/ledger';
import type { SyncRequest } from '../../functions/lib/sync/events';
import { runSync, SyncFailedError, type SyncDeps, type WindowWriter } from '../../functions/lib/sync/sync';
import { formatHour } from '../../functions/lib/sync/windows';
import type { ApiContact, ContactPage, ContactSource, TimeWindow } from '../../functions/lib/types';
import { apiContact } from '../support/contacts';

const d = (iso: string): Date => new Date(iso);
const NO_DRIFT = { unknownKeys: [], typeMisfits: [] };

/** A source with two contacts per hour; hours in `failing` answer 400, hours in `refused` 401. */
class FakeSource implements ContactSource {
  readonly fetched: string[] = [];
  constructor(
    readonly failing = new Set<string>(),
    readonly refused = new Set<string>(),
  ) {}
  async *fetchWindow(streamId: string, window: TimeWindow): AsyncIterable<ContactPage> {
    const key = `${streamId}@${formatHour(window.start)}`;
    this.fetched.push(key);
    if (this.refused.has(key)) throw new KoreAuthError('POST', '/rawdata', 401, 'a freshly minted token was rejected');
    yield page(1, apiContact({ 'Conversation ID': `${key}-a` }));
    if (this.failing.has(key)) throw new KoreApiError('POST', '/rawdata', 400, 'bad request');
    yield page(2, apiContact({ 'Conversation ID': `${key}-b` }));
  }
}

function page(sequence: number, ...records: ApiContact[]): ContactPage {
  return {
    sequence,
    records,
    unexpectedOutsideWindow: [],
    nextWindow: [],
    skipped: { repeated: 0, nextWindow: 0 },
    fetch: { requests: sequence, method: 'pages', signs: [], apiTotalResults: 2 },
  };
}

/** Keeps written windows in memory; drains the rows like the real writer. */
class FakeWriter implements WindowWriter {
  readonly committed = new Map<string, readonly Readonly<Record<string, unknown>>[]>();
  async write(ref: { streamId: string; window: TimeWindow }, rows: AsyncIterable<readonly Readonly<Record<string, unknown>>[]>) {
    const all: Readonly<Record<string, unknown>>[] = [];
    for await (const batch of rows) all.push(...batch);
    this.committed.set(`${ref.streamId}@${formatHour(ref.window.start)}`, all);
    const object = all.length > 0 ? { key: 'k', etag: '"e"', versionId: null, records: all.length, bytes: 10 * all.length, sha256: '0'.repeat(64) } : null;
    return { records: all.length, object, archiveCount: 1, changes: { added: all.length, updated: 0, unchanged: 0, retained: 0, removed: 0 } };
  }
}

interface World {
  readonly deps: SyncDeps;
  readonly ledger: MemoryLedger;
  readonly objects: MemoryObjects;
  readonly source: FakeSource;
  readonly writer: FakeWriter;
  readonly logs: { level: string; message: string; extra?: Record<string, unknown> }[];
  readonly metrics: Record<string, number[]>;
  clock: Date;
}

function world(over: Partial<SyncDeps> & { source?: FakeSource; maxAttempts?: number; tiers?: number[]; archiveStart?: Date } = {}): World {
  const objects = new MemoryObjects();
  const ledger = new MemoryLedger({ objects });
  const logs: World['logs'] = [];
  const metrics: Record<string, number[]> = {};
  const source = over.source ?? new FakeSource();
  const writer = new FakeWriter();
  const w: World = {
    ledger,
    objects,
    source,
    writer,
    logs,
    metrics,
    clock: d('2026-11-20T12:05:00Z'),
    deps: undefined as unknown as SyncDeps,
  };
  (w as { deps: SyncDeps }).deps = {
    source,
    writer,
    manifests: { read: async () => undefined },
    ledger,
    leases: new Leases({ objects, prefix: 'p', durationMs: 600_000, now: () => w.clock }),
    legacyState: new MemoryStateStore(),
    policy: {
      archiveStart: over.archiveStart,
      refreshLagHours: over.tiers ?? [],
      maxAttempts: over.maxAttempts ?? PLAN_DEFAULTS.maxAttempts,
      retryBackoffMs: 30 * 60_000,
    },
    rateLimitRpm: 60,
    normalize: (c) => ({ row: { conversation_id: c.value['Conversation ID'] }, conversationId: String(c.value['Conversation ID']), problems: [], drift: NO_DRIFT }),
    log: {
      info: (message, extra) => logs.push({ level: 'info', message, extra }),
      warn: (message, extra) => logs.push({ level: 'warn', message, extra }),
      error: (message, extra) => logs.push({ level: 'error', message, extra }),
    },
    metrics: {
      count: (name, value) => void (metrics[name] ??= []).push(value),
      bytes: (name, value) => void (metrics[name] ??= []).push(value),
    },
    streamIds: ['st-1'],
    runId: 'run-1',
    now: () => w.clock,
    remainingMs: () => 900_000,
    ...over,
  };
  return w;
}

const scheduled = (w: World): SyncRequest => ({ kind: 'scheduled', time: w.clock });

/** Time left that shrinks by `perWindowMs` with every window fetched from now on. */
function shrinking(w: World, startMs: number, perWindowMs: number): () => number {
  const base = w.source.fetched.length;
  return () => startMs - perWindowMs * (w.source.fetched.length - base);
}

async function entry(w: World, streamId: string, hour: string): Promise<LedgerEntry | undefined> {
  const start = d(`${hour}:00:00Z`);
  return (await w.ledger.read(streamId, { from: start, to: new Date(start.getTime() + 3_600_000) })).get(start.getTime());
}

describe('runSync with the window ledger', () => {
  it('a first run archives the newest closed hour and records it in the ledger', async () => {
    const w = world();
    const summary = await runSync(scheduled(w), w.deps);
    expect(summary.windows.map((o) => `${o.status} ${o.hour}`)).toEqual(['archived 2026-11-20T11']);
    expect(summary).toMatchObject({ contacts: 2, workRemains: false, failedWindows: [], requests: 2 });
    expect(await entry(w, 'st-1', '2026-11-20T11')).toMatchObject({ status: 'archived', records: 2, requests: 2, attempts: 0 });
    expect(w.metrics.HoursBehind).toEqual([0]);
  });

  it('catches up every hour never archived since ARCHIVE_START, oldest first; a second run finds nothing due', async () => {
    const w = world({ archiveStart: d('2026-11-20T07:00Z') });
    await runSync(scheduled(w), w.deps);
    expect(w.source.fetched).toEqual(['07', '08', '09', '10', '11'].map((h) => `st-1@2026-11-20T${h}`));
    const again = await runSync(scheduled(w), w.deps);
    expect(again.windows).toEqual([]);
    expect(w.source.fetched).toHaveLength(5);
  });

  it('migrates the old high-water mark: hours up to it are archived, only the ones after it are fetched', async () => {
    const w = world({ archiveStart: d('2026-11-20T00:00Z') });
    const legacy = new MemoryStateStore([{ streamId: 'st-1', lastArchivedHour: d('2026-11-20T09:00Z'), updatedAt: d('2026-11-20T10:02Z'), runId: 'old' }]);
    const summary = await runSync(scheduled(w), { ...w.deps, legacyState: legacy });
    expect(summary.windows.map((o) => o.hour)).toEqual(['2026-11-20T10', '2026-11-20T11']);
  });

  it('a failing hour never blocks the hours after it: recorded as failed, retried after its backoff, quarantined after N attempts', async () => {
    const w = world({ archiveStart: d('2026-11-20T09:00Z'), source: new FakeSource(new Set(['st-1@2026-11-20T10'])), maxAttempts: 2 });
    const first = await runSync(scheduled(w), w.deps);
    expect(first.windows.map((o) => `${o.status} ${o.hour}`)).toEqual(['archived 2026-11-20T09', 'failed 2026-11-20T10', 'archived 2026-11-20T11']);
    expect(first.failedWindows).toEqual(['st-1@2026-11-20T10']);
    expect(await entry(w, 'st-1', '2026-11-20T10')).toMatchObject({ status: 'failed', attempts: 1, lastError: { name: 'KoreApiError' } });

    // Before the backoff has passed nothing is retried; after it, the hour fails again and is quarantined.
    w.clock = d('2026-11-20T12:20:00Z');
    expect((await runSync(scheduled(w), w.deps)).windows).toEqual([]);
    w.clock = d('2026-11-20T12:40:00Z');
    const third = await runSync(scheduled(w), w.deps);
    expect(third.failedWindows).toEqual(['st-1@2026-11-20T10']);
    expect(await entry(w, 'st-1', '2026-11-20T10')).toMatchObject({ status: 'quarantined', attempts: 2 });
    expect(w.logs.some((l) => l.message.startsWith('window quarantined'))).toBe(true);
    expect(w.metrics.WindowsQuarantined?.at(-1)).toBe(1);

    // New hours keep being archived; the quarantined hour waits a day.
    w.clock = d('2026-11-20T13:05:00Z');
    const fourth = await runSync(scheduled(w), w.deps);
    expect(fourth.windows.map((o) => `${o.status} ${o.hour}`)).toEqual(['archived 2026-11-20T12']);
    w.source.failing.clear();
    w.clock = d('2026-11-21T13:00:00Z');
    const daily = await runSync(scheduled(w), w.deps);
    expect(daily.windows.map((o) => o.hour)).toContain('2026-11-20T10');
    expect(await entry(w, 'st-1', '2026-11-20T10')).toMatchObject({ status: 'archived' });
  });

  it('running out of time is not a failure: the work stays due, workRemains says so, and a later run does it', async () => {
    const w = world({ archiveStart: d('2026-11-20T08:00Z') });
    const first = await runSync(scheduled(w), { ...w.deps, remainingMs: shrinking(w, 350_000, 160_000) });
    expect(first.windows.map((o) => o.status)).toEqual(['archived', 'archived', 'deferred', 'deferred']);
    expect(first).toMatchObject({ workRemains: true, failed: 0 });
    const second = await runSync(scheduled(w), w.deps);
    expect(second.windows.map((o) => o.hour)).toEqual(['10', '11'].map((h) => `2026-11-20T${h}`));
    expect(second.workRemains).toBe(false);
  });

  it('a refresh that did not fit stays due until a later run does it; new hours go first', async () => {
    const w = world({ tiers: [3], archiveStart: d('2026-11-20T08:00Z') });
    await runSync(scheduled(w), w.deps);
    // Archived at 12:05, hour 08's 3-hour tier (due 12:00) was already satisfied; at 14:05 those of 09 and 10 are due.
    w.clock = d('2026-11-20T14:05:00Z');
    const tight = await runSync(scheduled(w), { ...w.deps, remainingMs: shrinking(w, 150_000, 130_000) });
    expect(tight.windows.filter((o) => o.status === 'archived').map((o) => o.hour)).toEqual(['2026-11-20T12']);
    expect(tight.workRemains).toBe(true);
    const later = await runSync(scheduled(w), w.deps);
    expect(later.windows.map((o) => `${o.hour}${o.refresh ? ' refresh' : ''}`)).toEqual(['2026-11-20T13', '2026-11-20T09 refresh', '2026-11-20T10 refresh']);
  });

  it('skips a stream another run holds, and says so', async () => {
    const w = world({ streamIds: ['st-1', 'st-2'] });
    const held = await w.deps.leases.acquire('st-2', 'other-run');
    expect(held.acquired).toBe(true);
    const summary = await runSync(scheduled(w), w.deps);
    expect(summary.skippedStreams).toEqual([{ streamId: 'st-2', heldBy: 'other-run' }]);
    expect(summary.windows.map((o) => o.streamId)).toEqual(['st-1']);
    expect(w.logs.some((l) => l.message.startsWith('stream skipped'))).toBe(true);
  });

  it('a backfill marks hours due and returns; the next drain archives them after the new hours', async () => {
    const w = world({ streamIds: ['st-1', 'st-2'] });
    await runSync(scheduled(w), w.deps);
    const marked = await runSync({ kind: 'backfill', hours: [d('2026-11-18T00:00Z'), d('2026-11-18T01:00Z')], streams: ['st-2'] }, w.deps);
    expect(marked).toMatchObject({ hoursMarked: 2, workRemains: true, windows: [] });
    w.clock = d('2026-11-20T13:05:00Z');
    const drained = await runSync(scheduled(w), w.deps);
    expect(drained.windows.map((o) => `${o.streamId}@${o.hour}`)).toEqual([
      'st-1@2026-11-20T12',
      'st-2@2026-11-20T12',
      'st-2@2026-11-18T00',
      'st-2@2026-11-18T01',
    ]);
    await expect(runSync({ kind: 'backfill', hours: [d('2026-11-18T00:00Z')], streams: ['st-9'] }, w.deps)).rejects.toThrow(/st-9 is not in KORE_STREAM_IDS/);
  });

  it('a manual run archives exactly its hours and fails when one failed; hours that did not fit stay due', async () => {
    const w = world({ source: new FakeSource(new Set(['st-1@2026-11-20T02'])) });
    const error = await runSync({ kind: 'manual', hours: [d('2026-11-20T01:00Z'), d('2026-11-20T02:00Z')] }, w.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncFailedError);
    expect((error as Error).message).toContain('st-1@2026-11-20T02 (KoreApiError: POST /rawdata failed with HTTP 400: bad request)');

    const tight = await runSync(
      { kind: 'manual', hours: [d('2026-11-20T03:00Z'), d('2026-11-20T04:00Z'), d('2026-11-20T05:00Z')] },
      { ...w.deps, remainingMs: shrinking(w, 200_000, 180_000) },
    );
    expect(tight).toMatchObject({ workRemains: true, hoursMarked: 2 });
    expect(await entry(w, 'st-1', '2026-11-20T05')).toMatchObject({ status: 'pending', pending: 'backfill' });
  });

  it('refused credentials end the run at once, leaving the hour due without counting an attempt', async () => {
    const w = world({ archiveStart: d('2026-11-20T10:00Z'), streamIds: ['st-1', 'st-2'], source: new FakeSource(new Set(), new Set(['st-1@2026-11-20T10'])) });
    await expect(runSync(scheduled(w), w.deps)).rejects.toBeInstanceOf(KoreAuthError);
    expect(w.source.fetched).toEqual(['st-1@2026-11-20T10']);
    expect(await entry(w, 'st-1', '2026-11-20T10')).toBeUndefined();
    // The leases were released: the next run can work.
    w.source.refused.clear();
    expect((await runSync(scheduled(w), w.deps)).hoursArchived).toBe(4);
  });

  it('counts and logs records that did not fit, without dropping them', async () => {
    const w = world({
      normalize: (c) => ({ row: { conversation_id: c.value['Conversation ID'] }, conversationId: undefined, problems: ['duration_ms: not a duration'], drift: NO_DRIFT }),
    });
    await runSync(scheduled(w), w.deps);
    expect(w.writer.committed.get('st-1@2026-11-20T11')).toHaveLength(2);
    expect(w.metrics.RecordProblems).toEqual([2]);
    expect(w.logs.filter((l) => l.level === 'warn')).toHaveLength(2);
  });
});
