import { describe, expect, it } from 'vitest';
import { KoreApiError } from '../../functions/lib/errors';
import type { SyncRequest } from '../../functions/lib/sync/events';
import { runSync, SyncFailedError, type SyncDeps, type WindowWriter } from '../../functions/lib/sync/sync';
import { formatHour } from '../../functions/lib/sync/windows';
import { MemoryStateStore, type StreamState } from '../../functions/lib/archive/state';
import type { ApiContact, ContactPage, ContactSource, TimeWindow } from '../../functions/lib/types';
import { apiContact } from '../support/contacts';

const d = (iso: string): Date => new Date(iso);
const NO_DRIFT = { unknownKeys: [], typeMisfits: [] };

/** A source with two contacts per hour; hours listed in `failing` throw an API error midway. */
class FakeSource implements ContactSource {
  readonly fetched: string[] = [];
  constructor(private readonly failing = new Set<string>()) {}
  async *fetchWindow(streamId: string, window: TimeWindow): AsyncIterable<ContactPage> {
    const hour = formatHour(window.start);
    this.fetched.push(`${streamId}@${hour}`);
    yield page(1, apiContact({ 'Conversation ID': `${streamId}-${hour}-a` }));
    if (this.failing.has(`${streamId}@${hour}`)) throw new KoreApiError('POST', '/rawdata', 400, 'bad request');
    yield page(2, apiContact({ 'Conversation ID': `${streamId}-${hour}-b` }));
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

/** Keeps written windows in memory; drains the rows like the real writer (replacing, not merging). */
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

/** The real in-memory store (it validates what is put), plus a log of the puts and a way to seed it. */
class RecordingState extends MemoryStateStore {
  readonly puts: string[] = [];
  static seeded(hours: Record<string, string> = {}): RecordingState {
    return new RecordingState(
      Object.entries(hours).map(([streamId, hour]) => ({ streamId, lastArchivedHour: d(hour), updatedAt: d(hour), runId: 'seed' })),
    );
  }
  override async put(s: StreamState): Promise<void> {
    await super.put(s);
    this.puts.push(`${s.streamId}@${formatHour(s.lastArchivedHour)}`);
  }
  async hour(streamId: string): Promise<string | undefined> {
    return (await this.get(streamId))?.lastArchivedHour.toISOString();
  }
}

function deps(over: Partial<SyncDeps> & {
  source?: ContactSource;
}) {
  const logs: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  const metrics: Record<string, number[]> = {};
  const base: SyncDeps = {
    source: new FakeSource(),
    writer: new FakeWriter(),
    // No neighbour is ever archived here: the boundary checks are tested end to end over s3rver.
    manifests: { read: async () => undefined },
    state: new RecordingState(),
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
    archiveStart: undefined,
    maxCatchUpHours: 24,
    runId: 'run-1',
    now: () => d('2026-11-20T12:05:00Z'),
    remainingMs: () => 900_000,
    ...over,
  };
  return { deps: base, logs, metrics };
}

const scheduled: SyncRequest = { kind: 'scheduled', time: d('2026-11-20T12:05:00Z') };

describe('runSync', () => {
  it('first scheduled run archives the previous hour and records it as state', async () => {
    const { deps: x, metrics } = deps({});
    const summary = await runSync(scheduled, x);
    expect(summary.windows.map((w) => `${w.status} ${w.hour}`)).toEqual(['archived 2026-11-20T11']);
    expect(summary.contacts).toBe(2);
    expect((x.state as RecordingState).puts).toEqual(['st-1@2026-11-20T11']);
    expect(metrics.HoursBehind).toEqual([0]);
    expect(metrics.ContactsArchived).toEqual([2]);
  });

  it('catches up every hour missed since the state, oldest first, after an outage', async () => {
    const state = RecordingState.seeded({ 'st-1': '2026-11-20T06:00Z' });
    const source = new FakeSource();
    const { deps: x } = deps({ state, source });
    const summary = await runSync(scheduled, x);
    expect(source.fetched).toEqual(['07', '08', '09', '10', '11'].map((h) => `st-1@2026-11-20T${h}`));
    expect(state.puts).toEqual(['07', '08', '09', '10', '11'].map((h) => `st-1@2026-11-20T${h}`));
    expect(summary.hoursArchived).toBe(5);
  });

  it('a retried invocation of an hour already archived does nothing', async () => {
    const state = RecordingState.seeded({ 'st-1': '2026-11-20T11:00Z' });
    const source = new FakeSource();
    const summary = await runSync(scheduled, deps({ state, source }).deps);
    expect(source.fetched).toEqual([]);
    expect(summary.windows).toEqual([]);
  });

  it('a failed window stops its catch-up, keeps the state before it, and fails the run after other streams', async () => {
    const state = RecordingState.seeded({ 'st-1': '2026-11-20T08:00Z', 'st-2': '2026-11-20T10:00Z' });
    const source = new FakeSource(new Set(['st-1@2026-11-20T10']));
    const writer = new FakeWriter();
    const { deps: x, metrics, logs } = deps({ state, source, writer, streamIds: ['st-1', 'st-2'] });
    const error = await runSync(scheduled, x).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncFailedError);
    const summary = (error as SyncFailedError).summary;
    expect(summary.windows.map((w) => `${w.status} ${w.streamId} ${w.hour}`)).toEqual([
      'archived st-1 2026-11-20T09',
      'failed st-1 2026-11-20T10',
      'archived st-2 2026-11-20T11',
    ]);
    expect(await state.hour('st-1')).toBe('2026-11-20T09:00:00.000Z');
    expect(writer.committed.has('st-1@2026-11-20T10')).toBe(false);
    expect((error as Error).message).toContain('st-1@2026-11-20T10 (KoreApiError: POST /rawdata failed with HTTP 400: bad request)');
    expect(summary.hoursBehind).toEqual({ 'st-1': 2, 'st-2': 0 });
    expect(metrics.HoursBehind).toEqual([2]);
    expect(metrics.WindowFailures).toEqual([1]);
    expect(logs.some((l) => l.level === 'error' && l.extra?.hour === '2026-11-20T10')).toBe(true);
  });

  it('manual hours never move the state backwards and extend it only contiguously', async () => {
    const state = RecordingState.seeded({ 'st-1': '2026-11-20T09:00Z' });
    const request: SyncRequest = { kind: 'manual', hours: [d('2026-11-20T03:00Z'), d('2026-11-20T10:00Z'), d('2026-11-20T11:00Z')] };
    await runSync(request, deps({ state }).deps);
    expect(state.puts).toEqual(['st-1@2026-11-20T10', 'st-1@2026-11-20T11']);
  });

  it('manual hours on a stream with no state create no state', async () => {
    const state = new RecordingState();
    await runSync({ kind: 'manual', hours: [d('2026-11-20T03:00Z')] }, deps({ state }).deps);
    expect(state.puts).toEqual([]);
  });

  it('defers windows when the invocation is running out of time', async () => {
    const state = RecordingState.seeded({ 'st-1': '2026-11-20T08:00Z' });
    let left = 400_000;
    const { deps: x } = deps({ state, remainingMs: () => (left -= 150_000) });
    const summary = await runSync(scheduled, x);
    expect(summary.windows.map((w) => w.status)).toEqual(['archived', 'deferred', 'deferred']);
    expect(await state.hour('st-1')).toBe('2026-11-20T09:00:00.000Z');
    expect(summary.hoursBehind['st-1']).toBe(2);
  });

  it('counts and logs records that did not fit, without dropping them', async () => {
    const writer = new FakeWriter();
    const { deps: x, logs, metrics } = deps({
      writer,
      normalize: (c) => ({ row: { conversation_id: c.value['Conversation ID'] }, conversationId: undefined, problems: ['duration_ms: not a duration'], drift: NO_DRIFT }),
    });
    await runSync(scheduled, x);
    expect(writer.committed.get('st-1@2026-11-20T11')).toHaveLength(2);
    expect(metrics.RecordProblems).toEqual([2]);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it('a manual run that runs out of time archives what fits, then fails naming the hours left', async () => {
    let left = 400_000;
    const request: SyncRequest = { kind: 'manual', hours: [d('2026-11-20T01:00Z'), d('2026-11-20T02:00Z'), d('2026-11-20T03:00Z')] };
    const error = await runSync(request, deps({ remainingMs: () => (left -= 150_000) }).deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncFailedError);
    expect((error as SyncFailedError).summary.windows.map((w) => w.status)).toEqual(['archived', 'deferred', 'deferred']);
    expect((error as Error).message).toContain('were not archived: st-1@2026-11-20T02, st-1@2026-11-20T03; invoke again');
  });

  it('refreshes already archived hours after every stream caught up, without moving the state', async () => {
    const state = RecordingState.seeded({ 'st-1': '2026-11-20T10:00Z', 'st-2': '2026-11-20T09:00Z' });
    const source = new FakeSource();
    const { deps: x } = deps({ state, source, streamIds: ['st-1', 'st-2'], refreshLagHours: [1, 24], archiveStart: d('2026-11-20T00:00Z') });
    const summary = await runSync(scheduled, x);
    expect(summary.windows.map((w) => `${w.streamId}@${w.hour}${w.refresh ? ' refresh' : ''}`)).toEqual([
      'st-1@2026-11-20T11',
      'st-2@2026-11-20T10',
      'st-2@2026-11-20T11',
      // Lag 1 = hour 10 (archived before); lag 24 = yesterday's hour 11, before ARCHIVE_START: skipped.
      'st-1@2026-11-20T10 refresh',
      'st-2@2026-11-20T10 refresh',
    ]);
    expect(state.puts).toEqual(['st-1@2026-11-20T11', 'st-2@2026-11-20T10', 'st-2@2026-11-20T11']);
  });

  it('does not refresh an hour the stream has not archived yet', async () => {
    const state = RecordingState.seeded({ 'st-1': '2026-11-20T05:00Z' });
    const source = new FakeSource(new Set(['st-1@2026-11-20T06']));
    const error = await runSync(scheduled, deps({ state, source, refreshLagHours: [3] }).deps).catch((e: unknown) => e);
    // Catch-up failed at 06; hour 08 (lag 3) was never archived, so it is left to the catch-up, not refreshed.
    expect((error as SyncFailedError).summary.windows.map((w) => `${w.status} ${w.hour}`)).toEqual(['failed 2026-11-20T06']);
  });
});

