import { ArchiveError, KoreAuthError } from '../errors';
import { METRICS } from '../metric-names';
import type { Manifest, ManifestFetch } from '../archive/manifest';
import type { ApiContact, ContactSource, FetchProgress, TimeWindow } from '../types';
import type { SyncRequest } from './events';
import { BoundaryTracker, readNeighbours } from './boundary';
import { formatHour, HOUR_MS, hourWindow, planCatchUp, previousHour } from './windows';
import type { ManifestReader } from '../archive/manifest-store';
import { conversationIdOf } from '../kore/record';

/** Where one window's rows go: a new version of the hour's partition, merged with the previous one (see archive/writer.ts). */
export interface WindowWriter {
  write(
    ref: { readonly streamId: string; readonly window: TimeWindow; readonly runId: string },
    rows: AsyncIterable<readonly Readonly<Record<string, unknown>>[]>,
    options: {
      readonly fetch: () => ManifestFetch | null;
      readonly startedAt: Date;
      readonly signal?: AbortSignal;
      /** Sees each contact kept from the previous version (returns its line unchanged, or undefined to remove it). */
      readonly rewrite?: (stored: { readonly line: string; readonly row: Readonly<Record<string, unknown>> }) => string | undefined;
    },
  ): Promise<Pick<Manifest, 'records' | 'object' | 'changes' | 'archiveCount'>>;
}

/** Last archived hour per stream. */
export interface HourState {
  get(streamId: string): Promise<{ readonly lastArchivedHour: Date } | undefined>;
  put(state: { streamId: string; lastArchivedHour: Date; updatedAt: Date; runId: string }): Promise<void>;
}

/** Turns a raw contact into a table row; never drops it (problems name columns, never values). */
export type Normalizer = (
  contact: ApiContact,
  ctx: { streamId: string; window: TimeWindow; runId: string; archivedAt: Date },
) => { readonly row: Readonly<Record<string, unknown>>; readonly conversationId: string | undefined; readonly problems: readonly string[] };

/** The subset of a structured logger the core needs (Powertools Logger fits). */
export interface LogSink {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** The subset of a metrics client the core needs. */
export interface MetricSink {
  count(name: string, value: number): void;
  bytes(name: string, value: number): void;
}

/** What happened to one stream-hour. */
export interface WindowOutcome {
  readonly streamId: string;
  readonly hour: string;
  readonly status: 'archived' | 'failed' | 'deferred';
  /** A refresh re-archives an hour archived before, to pick up late data; it never moves the state. */
  readonly refresh: boolean;
  readonly records: number;
  readonly objects: number;
  readonly bytes: number;
  readonly pages: number;
  readonly problems: number;
  /** The error's name and message (safe: errors never carry secrets). */
  readonly error?: string;
}

/** The result of one run, returned by the handler and the CLI. */
export interface SyncSummary {
  readonly runId: string;
  readonly kind: SyncRequest['kind'];
  readonly hoursArchived: number;
  readonly contacts: number;
  readonly objects: number;
  readonly bytes: number;
  readonly failed: number;
  readonly deferred: number;
  /** Per stream, whole hours between the newest hour due and the last archived one (scheduled runs only). */
  readonly hoursBehind: Readonly<Record<string, number>>;
  readonly windows: readonly WindowOutcome[];
}

/**
 * A run left windows undone that nothing else will pick up: failed windows, or hours of a manual request that did
 * not fit in the invocation. The invocation must fail so it is retried and alarmed.
 */
export class SyncFailedError extends ArchiveError {
  override readonly name: string = 'SyncFailedError';
  constructor(readonly summary: SyncSummary, options?: { cause?: unknown }) {
    const failed = summary.windows.filter((w) => w.status === 'failed');
    const deferred = summary.kind === 'manual' ? summary.windows.filter((w) => w.status === 'deferred') : [];
    const parts: string[] = [];
    if (failed.length > 0) {
      parts.push(
        `${failed.length} of ${summary.windows.length} windows failed: ` +
          failed.map((w) => `${w.streamId}@${w.hour} (${w.error ?? 'unknown error'})`).join('; '),
      );
    }
    if (deferred.length > 0) {
      parts.push(
        `${deferred.length} of ${summary.windows.length} windows did not fit in this invocation and were not archived: ` +
          `${deferred.map((w) => `${w.streamId}@${w.hour}`).join(', ')}; invoke again for those hours`,
      );
    }
    super(parts.join('. '), options);
  }
}

/** Everything the core needs, passed in so tests can hand it fakes. */
export interface SyncDeps {
  readonly source: ContactSource;
  readonly writer: WindowWriter;
  /** Committed manifests of neighbouring hours, for the boundary second they share (see boundary.ts). */
  readonly manifests: ManifestReader;
  readonly state: HourState;
  readonly normalize: Normalizer;
  readonly log: LogSink;
  readonly metrics: MetricSink;
  readonly streamIds: readonly string[];
  readonly archiveStart: Date | undefined;
  readonly maxCatchUpHours: number;
  /** Scheduled runs also re-archive `target - lag` for each lag (hours), after every stream's catch-up. */
  readonly refreshLagHours?: readonly number[];
  readonly runId: string;
  readonly now: () => Date;
  /** Milliseconds left in the invocation (Lambda context); Infinity for the CLI. */
  readonly remainingMs: () => number;
  /** A window is not started with less time than this left (default 3 minutes). */
  readonly minWindowBudgetMs?: number;
  /** Called after each window, for progress output. */
  readonly onWindow?: (outcome: WindowOutcome) => void;
}

/** Time kept in reserve so an aborted window can clean up before the invocation ends. */
const ABORT_MARGIN_MS = 20_000;

/**
 * Archives the windows a request asks for, stream by stream, oldest first. A window becomes visible only
 * when complete; the state advances only after a window's data and manifest are written, and only
 * contiguously, so it never skips a gap nor moves backwards. A failed window stops its stream's catch-up
 * (the next run resumes there) and makes the run throw {@link SyncFailedError} after the other streams ran.
 */
export async function runSync(request: SyncRequest, deps: SyncDeps): Promise<SyncSummary> {
  const minBudget = deps.minWindowBudgetMs ?? 180_000;
  const outcomes: WindowOutcome[] = [];
  const hoursBehind: Record<string, number> = {};
  const lastArchived = new Map<string, Date | undefined>();
  let outOfTime = false;

  /** Archives one window, or records it as deferred when too little time is left. */
  const attempt = async (streamId: string, hour: Date, refresh: boolean): Promise<WindowOutcome> => {
    if (outOfTime || deps.remainingMs() < minBudget) {
      outOfTime = true;
      const deferred = { ...emptyOutcome(streamId, formatHour(hour), 'deferred'), refresh };
      outcomes.push(deferred);
      return deferred;
    }
    const outcome = { ...(await archiveWindow(streamId, hour, deps)), refresh };
    outcomes.push(outcome);
    deps.onWindow?.(outcome);
    return outcome;
  };

  for (const streamId of deps.streamIds) {
    let last = (await deps.state.get(streamId))?.lastArchivedHour;
    const hours =
      request.kind === 'manual'
        ? request.hours
        : planCatchUp({
            lastArchived: last,
            target: previousHour(request.time),
            archiveStart: deps.archiveStart,
            maxHours: deps.maxCatchUpHours,
          });

    for (const hour of hours) {
      const outcome = await attempt(streamId, hour, false);
      if (outcome.status === 'deferred') continue;
      if (outcome.status === 'failed') {
        // The state must stay contiguous: later hours of a scheduled catch-up wait for the next run.
        if (request.kind === 'scheduled') break;
        continue;
      }
      const contiguous = last === undefined ? request.kind === 'scheduled' : hour.getTime() === last.getTime() + HOUR_MS;
      if (contiguous) {
        await deps.state.put({ streamId, lastArchivedHour: hour, updatedAt: deps.now(), runId: deps.runId });
        last = hour;
      }
    }
    lastArchived.set(streamId, last);
    if (request.kind === 'scheduled') {
      const target = previousHour(request.time);
      hoursBehind[streamId] = last === undefined ? hours.length : Math.max(0, (target.getTime() - last.getTime()) / HOUR_MS);
    }
  }

  // Refreshes come after every stream's catch-up, so late data never delays an hour that was not archived at all.
  if (request.kind === 'scheduled') {
    const target = previousHour(request.time);
    for (const streamId of deps.streamIds) {
      const last = lastArchived.get(streamId);
      for (const lag of deps.refreshLagHours ?? []) {
        const hour = new Date(target.getTime() - lag * HOUR_MS);
        // Only hours archived before: anything newer is still the catch-up's job.
        if (last === undefined || hour.getTime() > last.getTime()) continue;
        if (deps.archiveStart !== undefined && hour.getTime() < deps.archiveStart.getTime()) continue;
        await attempt(streamId, hour, true);
      }
    }
  }

  const archived = outcomes.filter((o) => o.status === 'archived');
  const summary: SyncSummary = {
    runId: deps.runId,
    kind: request.kind,
    hoursArchived: archived.length,
    contacts: sum(archived, (o) => o.records),
    objects: sum(archived, (o) => o.objects),
    bytes: sum(archived, (o) => o.bytes),
    failed: outcomes.filter((o) => o.status === 'failed').length,
    deferred: outcomes.filter((o) => o.status === 'deferred').length,
    hoursBehind,
    windows: outcomes,
  };

  deps.metrics.count(METRICS.hoursArchived, summary.hoursArchived);
  deps.metrics.count(METRICS.contactsArchived, summary.contacts);
  deps.metrics.bytes(METRICS.bytesWritten, summary.bytes);
  deps.metrics.count(METRICS.windowFailures, summary.failed);
  if (request.kind === 'scheduled') deps.metrics.count(METRICS.hoursBehind, Math.max(0, ...Object.values(hoursBehind)));

  const { windows: _windows, ...totals } = summary;
  deps.log.info('sync finished', { ...totals });
  if (summary.failed > 0 || (request.kind === 'manual' && summary.deferred > 0)) throw new SyncFailedError(summary);
  return summary;
}

async function archiveWindow(streamId: string, hour: Date, deps: SyncDeps): Promise<Omit<WindowOutcome, 'refresh'>> {
  const label = formatHour(hour);
  const window = hourWindow(hour);
  const startedAt = deps.now();
  const ctx = { streamId, window, runId: deps.runId, archivedAt: startedAt };
  const signal = AbortSignal.timeout(Math.max(1_000, Math.min(deps.remainingMs() - ABORT_MARGIN_MS, 2 ** 31 - 1)));
  let problems = 0;
  let fetched = 0;
  let unexpected = 0;
  let progress: FetchProgress = { requests: 0, method: 'pages', signs: [], apiTotalResults: undefined };
  const skipped = { repeated: 0, nextWindow: 0 };
  let boundary: BoundaryTracker | undefined;

  const normalizeAll = (contacts: readonly ApiContact[], tracker: BoundaryTracker): Readonly<Record<string, unknown>>[] => {
    const batch: Readonly<Record<string, unknown>>[] = [];
    for (const contact of contacts) {
      const result = deps.normalize(contact, ctx);
      if (result.problems.length > 0) {
        problems += result.problems.length;
        deps.log.warn('contact kept with null columns: it did not fit the schema', {
          streamId,
          hour: label,
          conversationId: result.conversationId,
          problems: result.problems,
        });
      }
      tracker.noteRow(result.row);
      batch.push(result.row);
    }
    fetched += batch.length;
    return batch;
  };

  async function* rows(): AsyncGenerator<Readonly<Record<string, unknown>>[]> {
    const tracker = new BoundaryTracker(hour, await readNeighbours(deps.manifests, streamId, hour));
    boundary = tracker;
    for await (const page of deps.source.fetchWindow(streamId, window, signal)) {
      progress = page.fetch;
      skipped.repeated += page.skipped.repeated;
      skipped.nextWindow += page.skipped.nextWindow;
      for (const conversationId of page.unexpectedOutsideWindow) {
        unexpected += 1;
        deps.log.warn('contact kept although it started outside the hour: the API filtered on another time', { streamId, hour: label, conversationId });
      }
      yield normalizeAll([...tracker.own(page.records), ...tracker.keepOrPass(page.nextWindow)], tracker);
    }
    const missing = tracker.missingFromPrevious();
    if (missing.length > 0) {
      deps.log.warn('contacts the previous hour left to this one were not returned for it: added here (is the API start bound exclusive?)', {
        streamId,
        hour: label,
        conversationIds: missing.map((c) => conversationIdOf(c.value) ?? ''),
      });
      yield normalizeAll(missing, tracker);
    }
  }

  const fetch = (): ManifestFetch => ({
    method: progress.method,
    requests: progress.requests,
    apiTotalResults: progress.apiTotalResults ?? null,
    signs: [...progress.signs],
    skipped: { ...skipped },
    unexpectedOutsideWindow: unexpected,
    problems,
    edge: boundary?.edge() ?? { firstSecond: [], nextHour: [], recovered: 0, keptHere: 0 },
  });

  try {
    // Contacts kept from the previous version count for the boundary second too (see boundary.ts).
    const rewrite = (stored: { readonly line: string; readonly row: Readonly<Record<string, unknown>> }): string => {
      boundary?.noteRetained(stored.row);
      return stored.line;
    };
    const manifest = await deps.writer.write({ streamId, window, runId: deps.runId }, rows(), { fetch, startedAt, signal, rewrite });
    deps.metrics.count(METRICS.pagesFetched, progress.requests);
    deps.metrics.count(METRICS.recordProblems, problems);
    deps.metrics.count(METRICS.unexpectedOutsideWindow, unexpected);
    const edge = boundary?.edge();
    if (edge !== undefined && edge.recovered + edge.keptHere > 0) deps.metrics.count(METRICS.boundaryRecovered, edge.recovered + edge.keptHere);
    if (progress.method === 'slices') {
      deps.metrics.count(METRICS.windowsSliced, 1);
      deps.log.warn('the result moved while it was paged; the hour was read as time slices', { streamId, hour: label, signs: progress.signs });
    }
    const previous = manifest.records - manifest.changes.added;
    // A refresh that sees far fewer contacts than archived: the archive keeps them, but someone should know.
    if (manifest.archiveCount > 1 && previous >= 10 && fetched < previous / 2) {
      deps.metrics.count(METRICS.refreshShrank, 1);
      deps.log.warn('a refresh returned far fewer contacts than the archive holds; the archived ones were kept', {
        streamId,
        hour: label,
        fetched,
        archived: previous,
      });
    }
    const outcome = {
      streamId,
      hour: label,
      status: 'archived' as const,
      records: manifest.records,
      objects: manifest.object === null ? 0 : 1,
      bytes: manifest.object?.bytes ?? 0,
      pages: progress.requests,
      problems,
    };
    deps.log.info('window archived', { ...outcome, changes: manifest.changes, skipped, method: progress.method });
    return outcome;
  } catch (error) {
    if (error instanceof KoreAuthError) throw error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    deps.log.error('window failed; it will be retried by the next run', { streamId, hour: label, error: message, pages: progress.requests });
    return { ...emptyOutcome(streamId, label, 'failed'), pages: progress.requests, error: message };
  }
}

function emptyOutcome(streamId: string, hour: string, status: WindowOutcome['status']): Omit<WindowOutcome, 'refresh'> {
  return { streamId, hour, status, records: 0, objects: 0, bytes: 0, pages: 0, problems: 0 };
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}
