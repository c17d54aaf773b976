/**
 * One stream-hour, from the first request to the manifest: the fetch (see kore/window-reader.ts), the
 * normalizer, the boundary second shared with the neighbours (boundary.ts), drift reporting, and the
 * partition writer (archive/writer.ts).
 */
import type { Manifest, ManifestFetch } from '../archive/manifest';
import type { ManifestReader } from '../archive/manifest-store';
import { DriftCollector, firstSeen, type ContactDrift, type DriftReport } from '../archive/drift';
import { KoreAuthError } from '../errors';
import { conversationIdOf } from '../kore/record';
import { METRICS } from '../metric-names';
import type { ApiContact, ContactSource, FetchProgress, TimeWindow } from '../types';
import { BoundaryTracker, readNeighbours } from './boundary';
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
}

/** Time kept in reserve so an aborted window can clean up before the invocation ends. */
const ABORT_MARGIN_MS = 20_000;

/** Unknown keys already warned about, per stream, for the life of the process (warm invocations included). */
const SEEN_KEYS = new Map<string, Set<string>>();


/**
 * Fetches one stream-hour and writes it as a new version of its partition (merged with the previous one), or
 * returns a failed outcome naming the error. A {@link KoreAuthError} is thrown instead: refused credentials
 * end the whole run.
 */
export async function archiveWindow(streamId: string, hour: Date, deps: WindowDeps): Promise<WindowResult> {
  /** The unknown keys already reported for the stream: seeded from the previous hour, kept for the process. */
  const knownKeys = (stream: string, seed: readonly string[]): Set<string> => {
    let seen = SEEN_KEYS.get(stream);
    if (seen === undefined) SEEN_KEYS.set(stream, (seen = new Set()));
    for (const key of seed) seen.add(key);
    return seen;
  };
  const reportDrift = (stream: string, hourLabel: string, report: DriftReport): void => {
    const unknown = Object.keys(report.unknownKeys);
    deps.metrics.count(METRICS.unknownKeys, unknown.length);
    deps.metrics.count(METRICS.typeMisfits, Object.values(report.typeMisfits).reduce((a, b) => a + b, 0));
    for (const key of firstSeen(knownKeys(stream, []), unknown)) {
      deps.log.warn('the API sent a key the schema does not map: its values are only in raw (map it with ARCHIVE_COLUMN_ALIASES)', {
        streamId: stream,
        hour: hourLabel,
        key,
        contacts: report.unknownKeys[key],
      });
    }
  };

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
  const drift = new DriftCollector();

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
    boundary = tracker;
    knownKeys(streamId, neighbours.previousUnknownKeys);
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
    const manifest = await deps.writer.write({ streamId, window, runId: deps.runId }, rows(), { fetch, startedAt, signal, rewrite, drift: () => drift.report() });
    reportDrift(streamId, label, drift.report());
    deps.metrics.count(METRICS.pagesFetched, progress.requests);
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
      pages: progress.requests,
      problems,
      apiTotalResults: progress.apiTotalResults,
      unknownKeys: Object.keys(drift.report().unknownKeys),
    };
    deps.log.info('window archived', { ...outcome, changes: manifest.changes, skipped, method: progress.method });
    return outcome;
  } catch (error) {
    if (error instanceof KoreAuthError) throw error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // Stopped by the invocation's deadline: nothing was written, and running out of time is not a failure.
    if (signal.aborted) {
      deps.log.warn('window stopped for the invocation deadline; it stays due', { streamId, hour: label, pages: progress.requests });
      return { ...emptyOutcome(streamId, label, 'deferred'), pages: progress.requests };
    }
    deps.log.error('window failed; it will be retried by the next run', { streamId, hour: label, error: message, pages: progress.requests });
    return { ...emptyOutcome(streamId, label, 'failed'), pages: progress.requests, error: message, cause: error };
  }
}


export function emptyOutcome(streamId: string, hour: string, status: WindowOutcome['status']): WindowResult {
  return { streamId, hour, status, records: 0, objects: 0, bytes: 0, pages: 0, problems: 0 };
}

