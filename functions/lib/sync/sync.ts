/**
 * One run: what to archive is decided by the window ledger (functions/lib/ledger), never by a high-water mark.
 *
 * - scheduled / drain: every stream's due work (hours never archived, due refreshes, failed windows past their
 *   backoff, quarantined ones once a day, backfill hours), the streams interleaved fairly, started only while
 *   the invocation's time and the account's request budget allow; the rest stays due, which is not a failure;
 * - manual: exactly the hours asked for, now (what does not fit is marked due, for the next run);
 * - backfill: the hours are marked due and the run returns at once.
 *
 * A stream is worked on under its lease only: a stream another run holds is skipped and reported.
 */
import { ArchiveError } from '../errors';
import {
  ensureMigrated,
  errorInfo,
  markHoursDue,
  planWork,
  readStreamView,
  recordFailure,
  recordProgress,
  recordSuccess,
  selectWork,
  settleStream,
  streamBacklog,
  streamStart,
  type Lease,
  type Leases,
  type LegacyState,
  type Ledger,
  type PlanPolicy,
  type StreamView,
  type WorkItem,
} from '../ledger';
import { METRICS } from '../metric-names';
import { archiveWindow, emptyOutcome, type WindowDeps, type WindowOutcome } from './archive-window';
import type { SyncRequest } from './events';
import { formatHour } from './windows';

export type { LogSink, MetricSink, Normalizer, WindowOutcome, WindowWriter } from './archive-window';

/** The result of one run, returned by the handler and the CLI. */
export interface SyncSummary {
  readonly runId: string;
  readonly kind: SyncRequest['kind'];
  readonly hoursArchived: number;
  readonly contacts: number;
  readonly objects: number;
  readonly bytes: number;
  /** API requests spent by this run. */
  readonly requests: number;
  readonly failed: number;
  readonly deferred: number;
  /** Per stream, closed hours never archived yet. */
  readonly hoursBehind: Readonly<Record<string, number>>;
  /** Due work left that did not fit in this invocation (the drain invokes again). */
  readonly workRemains: boolean;
  /** `streamId@2026-11-20T10` of every window that failed in this run. */
  readonly failedWindows: readonly string[];
  /** Streams another run held the lease of, skipped by this one. */
  readonly skippedStreams: readonly { readonly streamId: string; readonly heldBy: string }[];
  /** Hours a backfill marked due. */
  readonly hoursMarked: number;
  readonly windows: readonly WindowOutcome[];
}

/**
 * A manual run left windows failed: the invocation must fail so it is retried and alarmed. Scheduled and drain
 * runs record failures in the ledger (retried with backoff, quarantined after N attempts) and return them in
 * `failedWindows` instead, so one bad hour never blocks the others.
 */
export class SyncFailedError extends ArchiveError {
  override readonly name: string = 'SyncFailedError';
  constructor(readonly summary: SyncSummary, options?: { cause?: unknown }) {
    const failed = summary.windows.filter((w) => w.status === 'failed');
    super(
      `${failed.length} of ${summary.windows.length} windows failed: ` +
        failed.map((w) => `${w.streamId}@${w.hour} (${w.error ?? 'unknown error'})`).join('; '),
      options,
    );
  }
}

/** Everything a run needs, passed in so tests can hand it fakes or real local parts. */
export interface SyncDeps extends WindowDeps {
  readonly ledger: Ledger;
  readonly leases: Pick<Leases, 'acquire'>;
  /** The pre-ledger high-water mark, migrated on a stream's first run. */
  readonly legacyState: LegacyState;
  readonly policy: PlanPolicy;
  readonly streamIds: readonly string[];
  /** The account's API budget, requests a minute: how much work fits in the time left. */
  readonly rateLimitRpm: number;
  /** Time kept free beyond a window's estimated requests before starting it (default 30 s). */
  readonly windowMarginMs?: number;
  /** Called after each window, for progress output. */
  readonly onWindow?: (outcome: WindowOutcome) => void;
}

/** Time kept free beyond a window's estimated requests: the write, and the clean-up of an aborted window. */
const WINDOW_MARGIN_MS = 30_000;

/** Archives what the request and the ledger say is due; see the module comment. */
export async function runSync(request: SyncRequest, deps: SyncDeps): Promise<SyncSummary> {
  // A scheduled run plans as of its event's time, so a delayed or retried invocation plans the same hours.
  const now = request.kind === 'scheduled' ? request.time : deps.now();
  const margin = deps.windowMarginMs ?? WINDOW_MARGIN_MS;
  const streams = request.kind === 'backfill' && request.streams !== undefined ? request.streams : deps.streamIds;
  const unknown = streams.filter((s) => !deps.streamIds.includes(s));
  if (unknown.length > 0) throw new ArchiveError(`stream ${unknown[0]} is not in KORE_STREAM_IDS; only configured streams are archived`);

  const leases = new Map<string, Lease>();
  const skippedStreams: { streamId: string; heldBy: string }[] = [];
  const outcomes: WindowOutcome[] = [];
  const hoursBehind: Record<string, number> = {};
  let hoursMarked = 0;
  let workRemains = false;
  try {
    for (const streamId of streams) {
      const got = await deps.leases.acquire(streamId, deps.runId);
      if (!got.acquired) {
        skippedStreams.push({ streamId, heldBy: got.heldBy });
        deps.log.warn('stream skipped: another run holds its lease', { streamId, heldBy: got.heldBy, until: got.expiresAt.toISOString() });
        continue;
      }
      leases.set(streamId, got.lease);
      await ensureMigrated(deps.ledger, streamId, { state: deps.legacyState, archiveStart: deps.policy.archiveStart, tiers: deps.policy.refreshLagHours, now });
    }

    if (request.kind === 'backfill') {
      for (const streamId of leases.keys()) {
        const head = await deps.ledger.head(streamId);
        const start = streamStart(head, deps.policy.archiveStart);
        hoursMarked += (await markHoursDue(deps.ledger, streamId, { hours: request.hours, kind: 'backfill', start, now, runId: deps.runId })).length;
      }
      workRemains = hoursMarked > 0;
    } else {
      const views = await Promise.all([...leases.keys()].map((streamId) => view(deps, streamId, now)));
      const plan = request.kind === 'manual' ? manualPlan(views, request.hours, now) : planWork(views, deps.policy, now);
      const perRequestMs = 60_000 / deps.rateLimitRpm;
      const budget = {
        remainingRequests: Math.floor(Math.max(0, deps.remainingMs() - margin) / perRequestMs),
        invocationRequests: Math.floor(900_000 / perRequestMs),
      };
      const { start, deferred } = request.kind === 'manual' ? { start: plan, deferred: [] as WorkItem[] } : selectWork(plan, budget);
      const left: WorkItem[] = [...deferred];
      for (const [i, item] of start.entries()) {
        // A window starts only with time for its estimated requests at the account's rate, plus a margin; one
        // larger than a whole invocation needs half of one (it goes on from its checkpoint, see selectWork).
        const needed = item.estimatedRequests > budget.invocationRequests ? budget.invocationRequests / 2 : item.estimatedRequests;
        if (deps.remainingMs() < needed * perRequestMs + margin) {
          left.push(...start.slice(i));
          break;
        }
        const outcome = await runItem(item, deps, leases.get(item.streamId), now);
        outcomes.push(outcome);
        deps.onWindow?.(outcome);
      }
      if (left.length > 0) {
        workRemains = true;
        // A manual hour that did not fit stays due for the next run rather than being forgotten.
        if (request.kind === 'manual') {
          for (const streamId of new Set(left.map((w) => w.streamId))) {
            const hours = left.filter((w) => w.streamId === streamId).map((w) => w.hour);
            hoursMarked += (await markHoursDue(deps.ledger, streamId, { hours, kind: 'backfill', start: undefined, now, runId: deps.runId })).length;
          }
        }
        for (const w of left) outcomes.push({ ...emptyOutcome(w.streamId, formatHour(w.hour), 'deferred'), refresh: w.kind === 'refresh' });
      }
      for (const streamId of leases.keys()) {
        const after = await view(deps, streamId, now);
        await settleStream(deps.ledger, after, { archiveStart: deps.policy.archiveStart, tiers: deps.policy.refreshLagHours, now });
        const backlog = streamBacklog(after, deps.policy, now);
        hoursBehind[streamId] = backlog.hoursBehind;
        deps.metrics.count(METRICS.windowsQuarantined, backlog.quarantined);
        deps.metrics.count(METRICS.refreshesOverdue, backlog.refreshesOverdue);
      }
    }
  } finally {
    await Promise.all([...leases.values()].map((lease) => lease.release().catch(() => false)));
  }

  const archived = outcomes.filter((o) => o.status === 'archived');
  const failed = outcomes.filter((o) => o.status === 'failed');
  const summary: SyncSummary = {
    runId: deps.runId,
    kind: request.kind,
    hoursArchived: archived.length,
    contacts: sum(archived, (o) => o.records),
    objects: sum(archived, (o) => o.objects),
    bytes: sum(archived, (o) => o.bytes),
    requests: sum(outcomes, (o) => o.pages),
    failed: failed.length,
    deferred: outcomes.filter((o) => o.status === 'deferred').length,
    hoursBehind,
    workRemains,
    failedWindows: failed.map((o) => `${o.streamId}@${o.hour}`),
    skippedStreams,
    hoursMarked,
    windows: outcomes,
  };

  deps.metrics.count(METRICS.hoursArchived, summary.hoursArchived);
  deps.metrics.count(METRICS.contactsArchived, summary.contacts);
  deps.metrics.bytes(METRICS.bytesWritten, summary.bytes);
  deps.metrics.count(METRICS.windowFailures, summary.failed);
  deps.metrics.count(METRICS.requestsSpent, summary.requests);
  if (request.kind !== 'backfill') deps.metrics.count(METRICS.hoursBehind, Math.max(0, ...Object.values(hoursBehind)));

  const { windows: _windows, ...totals } = summary;
  deps.log.info('sync finished', { ...totals });
  if (request.kind === 'manual' && summary.failed > 0) throw new SyncFailedError(summary);
  return summary;
}

/**
 * One work item: archived under the stream's lease, its outcome recorded in the ledger as of `at`, the run's
 * planning time (so refresh tiers count from the same clock that planned them).
 */
async function runItem(item: WorkItem, deps: SyncDeps, lease: Lease | undefined, at: Date): Promise<WindowOutcome> {
  // Renewing fails with LeaseLostError when another run took the stream over: this run must stop there.
  await lease?.renew();
  // Refused credentials (KoreAuthError) end the run from here: the hour stays due, no attempt is counted.
  const entry = item.entry;
  const result = await archiveWindow(item.streamId, item.hour, deps, {
    ...(entry?.checkpoint === undefined ? {} : { checkpoint: entry.checkpoint }),
    // An attempt that ran out of time without a checkpoint left only requests behind: continue in chunks this time.
    ranOutBefore: entry?.checkpoint === undefined && entry?.status === 'pending' && (entry.requestsSinceSuccess ?? 0) > 0,
  });
  if (result.status === 'deferred') {
    await deps.ledger.update(item.streamId, [item.hour], (e) => recordProgress(e, { ...change(item, deps, at), requests: result.pages, checkpoint: result.checkpoint }));
  } else if (result.status === 'archived') {
    await deps.ledger.update(item.streamId, [item.hour], (e) =>
      recordSuccess(e, {
        ...change(item, deps, at),
        records: result.records,
        apiTotalResults: result.apiTotalResults,
        requests: result.pages,
        tiers: deps.policy.refreshLagHours,
        ...(result.unknownKeys === undefined ? {} : { unknownKeys: result.unknownKeys }),
      }),
    );
    // Only once the ledger no longer names them: a run killed before this leaves them to the bucket's expiry rule.
    if (result.continued === true) {
      await deps.checkpoints?.discard(item.streamId, item.hour).catch((error: unknown) => {
        deps.log.warn('could not delete the checkpoint objects of an archived hour; the bucket lifecycle rule removes them', {
          streamId: item.streamId,
          hour: formatHour(item.hour),
          error: error instanceof Error ? error.message : String(error),
        });
      });
    }
  } else {
    const entries = await deps.ledger.update(item.streamId, [item.hour], (e) =>
      recordFailure(e, { ...change(item, deps, at), error: errorInfo(result.cause ?? new Error(result.error)), requests: result.pages, maxAttempts: deps.policy.maxAttempts }),
    );
    if (entries[0]?.status === 'quarantined') {
      deps.log.error('window quarantined: it failed too often; it is retried daily and no longer blocks anything', {
        streamId: item.streamId,
        hour: formatHour(item.hour),
        attempts: entries[0].attempts,
      });
    }
  }
  const { cause: _cause, apiTotalResults: _total, unknownKeys: _keys, checkpoint: _checkpoint, continued: _continued, ...outcome } = result;
  return { ...outcome, refresh: item.kind === 'refresh' };
}

function change(item: WorkItem, deps: SyncDeps, at: Date) {
  return { streamId: item.streamId, hour: item.hour, at, runId: deps.runId };
}

async function view(deps: SyncDeps, streamId: string, now: Date): Promise<StreamView> {
  return readStreamView(deps.ledger, streamId, { archiveStart: deps.policy.archiveStart, now });
}

/** A manual request's work: exactly its hours, for every leased stream, oldest first. */
function manualPlan(views: readonly StreamView[], hours: readonly Date[], now: Date): WorkItem[] {
  return views.flatMap((v) =>
    hours.map((hour) => {
      const entry = v.entries.get(hour.getTime());
      return {
        streamId: v.streamId,
        hour,
        kind: entry?.lastSuccessAt === undefined ? ('new' as const) : ('refresh' as const),
        quarantined: false,
        dueAt: now,
        estimatedRequests: 1,
        entry,
      };
    }),
  );
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}
