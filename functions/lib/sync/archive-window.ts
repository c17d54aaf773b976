/**
 * One stream-hour, from the first request to the manifest: the fetch (see kore/window-reader.ts), the
 * normalizer, the boundary second shared with the neighbours (boundary.ts), drift reporting, and the
 * partition writer (archive/writer.ts).
 */
import type { CheckpointStore } from '../archive/checkpoint-store';
import type { Manifest, ManifestFetch } from '../archive/manifest';
import type { ResumedRows } from '../archive/writer';
import type { ManifestReader } from '../archive/manifest-store';
import { DriftCollector, type ContactDrift, type DriftReport } from '../archive/drift';
import { ArchiveError, KoreAuthError } from '../errors';
import type { FetchControl } from '../kore/reader-position';
import { conversationIdOf } from '../kore/record';
import type { Json } from '../ledger';
import { METRICS } from '../metric-names';
import type { ApiContact, ContactSource, FetchProgress, TimeWindow } from '../types';
import { BoundaryTracker, readNeighbours } from './boundary';
import { knownKeys, reportDrift } from './drift-warnings';
import { continueWindow, keep, loadCheckpoint, noRows, prepend } from './continuation';
import { formatHour, hourWindow } from './windows';

/** Where one window's rows go: a new version of the hour's partition, merged with the previous one (see archive/writer.ts). */
export interface WindowWriter {
  write(
    ref: { readonly streamId: string; readonly window: TimeWindow; readonly runId: string },
    rows: AsyncIterable<readonly Readonly<Record<string, unknown>>[]>,
    options: {
      readonly fetch: () => ManifestFetch | null;
      readonly startedAt: Date;
      readonly signal?: AbortSignal;
      readonly drift?: () => DriftReport;
      /** Sees each contact kept from the previous version (returns its line unchanged, or undefined to remove it). */
      readonly rewrite?: (stored: { readonly line: string; readonly row: Readonly<Record<string, unknown>> }) => string | undefined;
      /** The rows earlier invocations of a continued hour fetched (see continuation.ts). */
      readonly resume?: ResumedRows;
    },
  ): Promise<Pick<Manifest, 'records' | 'object' | 'changes' | 'archiveCount'>>;
}

/** Turns a raw contact into a table row; never drops it (problems name columns, never values). */
export type Normalizer = (
  contact: ApiContact,
  ctx: { streamId: string; window: TimeWindow; runId: string; archivedAt: Date },
) => {
  readonly row: Readonly<Record<string, unknown>>;
  readonly conversationId: string | undefined;
  readonly problems: readonly string[];
  readonly drift: ContactDrift;
};

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
  /** A refresh re-archives an hour archived before, to pick up late data. */
  readonly refresh: boolean;
  readonly records: number;
  readonly objects: number;
  readonly bytes: number;
  /** API requests spent on the hour. */
  readonly pages: number;
  readonly problems: number;
  /** The error's name and message (safe: errors never carry secrets). */
  readonly error?: string;
}

/** {@link archiveWindow}'s result: the outcome, plus what the ledger records. */
export type WindowResult = Omit<WindowOutcome, 'refresh'> & {
  readonly apiTotalResults?: number | undefined;
  /** A deferred window's checkpoint for the ledger (undefined: the hour starts over). */
  readonly checkpoint?: Json;
  /** The hour was completed from a checkpoint: its checkpoint objects can go. */
  readonly continued?: boolean;
  /** Keys the schema did not map (drift), for the ledger and `status`. */
  readonly unknownKeys?: readonly string[];
  readonly cause?: unknown;
};

/** What {@link archiveWindow} needs. */
export interface WindowDeps {
  readonly source: ContactSource;
  readonly writer: WindowWriter;
  /** Committed manifests of neighbouring hours, for the boundary second they share (see boundary.ts). */
  readonly manifests: ManifestReader;
  readonly normalize: Normalizer;
  readonly log: LogSink;
  readonly metrics: MetricSink;
  readonly runId: string;
  readonly now: () => Date;
  /** Milliseconds left in the invocation (Lambda context); Infinity for the CLI. */
  readonly remainingMs: () => number;
  /** Where an hour too large for one invocation keeps its checkpoints; without it such an hour starts over each time. */
  readonly checkpoints?: CheckpointStore;
  /** The account's request rate: whether the rest of an hour fits in the time left. */
  readonly rateLimitRpm?: number;
}

/** How a window is continued: the ledger entry's checkpoint, and whether an earlier attempt ran out of time without one. */
export interface WindowStart {
  readonly checkpoint?: Json;
  /** An earlier attempt stopped without a checkpoint: fetch to checkpoint chunks from the start this time. */
  readonly ranOutBefore?: boolean;
}

/** Time kept in reserve so an aborted window can clean up before the invocation ends. */
const ABORT_MARGIN_MS = 20_000;
/**
 * No request is started with less time left than this: beyond the abort margin, 5 s to write the checkpoint (the
 * chunk's last part and a state object). A window predicted to fit starts with its estimate plus 30 s left (sync.ts),
 * so it finishes unless it was underestimated by over 5 s; one predicted not to fit (or whose size is unknown, e.g.
 * resumed in its slices) is fetched to chunks from the start and stops here by design.
 */
export const STOP_MARGIN_MS = ABORT_MARGIN_MS + 5_000;

/** A window predicted to fit the invocation that did not: it stops, and starts over with checkpoints next time. */
class StoppedForDeadline extends ArchiveError {
  override readonly name: string = 'StoppedForDeadline';
}

/**
 * Fetches one stream-hour and writes it as a new version of its partition (merged with the previous one), or
 * returns a failed outcome naming the error. A {@link KoreAuthError} is thrown instead: refused credentials
 * end the whole run.
 */
export async function archiveWindow(streamId: string, hour: Date, deps: WindowDeps, start: WindowStart = {}): Promise<WindowResult> {
  const label = formatHour(hour);
  const window = hourWindow(hour);
  const startedAt = deps.now();
  if (deps.remainingMs() < STOP_MARGIN_MS) return { ...emptyOutcome(streamId, label, 'deferred'), ...keep(start.checkpoint) };
  const ctx = { streamId, window, runId: deps.runId, archivedAt: startedAt };
  const signal = AbortSignal.timeout(Math.max(1_000, Math.min(deps.remainingMs() - ABORT_MARGIN_MS, 2 ** 31 - 1)));
  const store = deps.checkpoints;
  const loaded = store === undefined ? undefined : await loadCheckpoint(store, { streamId, hour, now: startedAt }, start.checkpoint);
  if (loaded !== undefined && 'givenUp' in loaded) deps.log.warn('checkpoint given up; the hour starts over', { streamId, hour: label, reason: loaded.givenUp });
  const resumed = loaded !== undefined && 'state' in loaded ? loaded : undefined;
  const state = resumed?.state;
  let problems = state?.problems ?? 0;
  let fetched = state?.written.length ?? 0;
  let unexpected = state?.unexpected ?? 0;
  let progress: FetchProgress = {
    requests: state?.reader.requests ?? 0,
    method: state?.reader.method ?? 'pages',
    signs: state?.reader.signs ?? [],
    apiTotalResults: state?.reader.apiTotalResults ?? undefined,
  };
  const requestsBefore = progress.requests;
  const skipped = { repeated: state?.skipped.repeated ?? 0, nextWindow: state?.skipped.nextWindow ?? 0 };
  let boundary: BoundaryTracker | undefined;
  const drift = new DriftCollector();
  if (state !== undefined) drift.restore(state.drift);
  const control: FetchControl = { ...(state === undefined ? {} : { resumeFrom: state.reader }), shouldStop: () => deps.remainingMs() < STOP_MARGIN_MS };
  /** Rows go to checkpoint chunks (the hour may take several invocations) rather than straight to the partition. */
  let chunked = resumed !== undefined || start.ranOutBefore === true;

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
      drift.add(result);
      tracker.noteRow(result.row);
      batch.push(result.row);
    }
    fetched += batch.length;
    return batch;
  };

  async function* rows(): AsyncGenerator<Readonly<Record<string, unknown>>[]> {
    const neighbours = await readNeighbours(deps.manifests, streamId, hour);
    const tracker = new BoundaryTracker(hour, neighbours);
    if (state !== undefined) tracker.restore(state.boundary);
    boundary = tracker;
    knownKeys(streamId, neighbours.previousUnknownKeys);
    for await (const page of deps.source.fetchWindow(streamId, window, signal, control)) {
      progress = page.fetch;
      skipped.repeated += page.skipped.repeated;
      skipped.nextWindow += page.skipped.nextWindow;
      for (const conversationId of page.unexpectedOutsideWindow) {
        unexpected += 1;
        deps.log.warn('contact kept although it started outside the hour: the API filtered on another time', { streamId, hour: label, conversationId });
      }
      yield normalizeAll([...tracker.own(page.records), ...tracker.keepOrPass(page.nextWindow)], tracker);
    }
    if (control.stopped === true) {
      // Chunks keep what was read; a window written straight to its partition must not complete.
      if (!chunked) throw new StoppedForDeadline(`stream ${streamId} hour ${label} did not fit the invocation`);
      return;
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
    ...(resumed === undefined ? {} : { continued: { invocations: resumed.checkpoint.invocations + 1, since: resumed.checkpoint.since } }),
  });

  try {
    // Contacts kept from the previous version count for the boundary second too (see boundary.ts).
    const rewrite = (stored: { readonly line: string; readonly row: Readonly<Record<string, unknown>> }): string => {
      boundary?.noteRetained(stored.row);
      return stored.line;
    };
    const ref = { streamId, window, runId: deps.runId };
    const batches = rows();
    const first = await batches.next();
    const perRequestMs = deps.rateLimitRpm === undefined ? 0 : 60_000 / deps.rateLimitRpm;
    const left = control.requestsLeft?.();
    const fits = left !== undefined && left * perRequestMs <= deps.remainingMs() - STOP_MARGIN_MS;
    chunked = store !== undefined && (chunked || !fits);
    const all = prepend(first, batches);
    let manifest: Awaited<ReturnType<WindowWriter['write']>>;
    if (store === undefined || !chunked) {
      manifest = await deps.writer.write(ref, all, { fetch, startedAt, signal, rewrite, drift: () => drift.report() });
    } else {
      const part = await continueWindow({
        store,
        at: { streamId, hour, runId: deps.runId, startedAt },
        resumed,
        rows: all,
        signal,
        stopped: () => control.stopped === true,
        timeLeftMs: () => deps.remainingMs() - ABORT_MARGIN_MS,
        state: () => {
          // A state without the reader's position or the boundary would be refused on resume and its chunks given up.
          const reader = control.position?.();
          if (reader === undefined || boundary === undefined) throw new ArchiveError(`stream ${streamId} hour ${label}: the fetch left no position to continue from`);
          return { reader, problems, unexpected, skipped, boundary: boundary.snapshot(), drift: drift.report() };
        },
        commit: (resume) => deps.writer.write(ref, noRows(), { fetch, startedAt, signal, rewrite, drift: () => drift.report(), resume }),
      });
      if ('checkpoint' in part) {
        deps.metrics.count(METRICS.windowsCheckpointed, 1);
        deps.metrics.count(METRICS.pagesFetched, progress.requests - requestsBefore);
        deps.log.info('window checkpointed for the invocation deadline; the next run continues it', { streamId, hour: label, pages: progress.requests });
        return { ...emptyOutcome(streamId, label, 'deferred'), pages: progress.requests - requestsBefore, checkpoint: part.checkpoint };
      }
      manifest = part.manifest;
      if (resumed !== undefined) deps.metrics.count(METRICS.windowsContinued, 1);
    }
    reportDrift(deps, streamId, label, drift.report());
    deps.metrics.count(METRICS.pagesFetched, progress.requests - requestsBefore);
    deps.metrics.count(METRICS.recordProblems, problems);
    deps.metrics.count(METRICS.unexpectedOutsideWindow, unexpected);
    deps.metrics.count(METRICS.contactsUpdated, manifest.changes.updated);
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
      pages: progress.requests - requestsBefore,
      problems,
      apiTotalResults: progress.apiTotalResults,
      unknownKeys: Object.keys(drift.report().unknownKeys),
      ...(chunked ? { continued: true } : {}),
    };
    deps.log.info('window archived', { ...outcome, changes: manifest.changes, skipped, method: progress.method });
    return outcome;
  } catch (error) {
    if (error instanceof KoreAuthError) throw error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const pages = progress.requests - requestsBefore;
    // Stopped by the invocation's deadline: nothing was written, and running out of time is not a failure. An
    // earlier checkpoint still holds (this invocation's reads are lost); without one the hour starts over.
    if (signal.aborted || error instanceof StoppedForDeadline) {
      deps.log.warn('window stopped for the invocation deadline; it stays due', { streamId, hour: label, pages, checkpointed: resumed !== undefined });
      return { ...emptyOutcome(streamId, label, 'deferred'), pages, ...keep(resumed === undefined ? undefined : start.checkpoint) };
    }
    // A failure may come from what the checkpoint says: the hour starts over.
    if (chunked) await store?.discard(streamId, hour).catch(() => undefined);
    deps.log.error('window failed; it will be retried by the next run', { streamId, hour: label, error: message, pages });
    return { ...emptyOutcome(streamId, label, 'failed'), pages, error: message, cause: error };
  }
}


export function emptyOutcome(streamId: string, hour: string, status: WindowOutcome['status']): WindowResult {
  return { streamId, hour, status, records: 0, objects: 0, bytes: 0, pages: 0, problems: 0 };
}

