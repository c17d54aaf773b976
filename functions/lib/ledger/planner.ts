/**
 * Planning from the ledger (pure: no I/O, no clock). Given each stream's entries, it lists the due work
 * in the order a run should take it, estimates each window's cost in API requests, and picks what fits
 * in what is left of an invocation's budget. What does not fit stays due; nothing here is a failure.
 *
 * Per stream, work comes in this order: hours never archived (oldest first, up to the newest closed
 * hour), due refreshes (a refresh stays due until done), failed windows whose backoff has passed,
 * quarantined windows once a day, backfill hours. A failed or quarantined hour never blocks the hours
 * after it. Streams share the budget fairly: the next item always comes from the stream that has been
 * given the fewest estimated requests so far.
 */
import { HOUR_MS, previousHour } from '../sync/windows';
import type { LedgerHead } from './codec';
import { dueRefreshAt, refreshState, type LedgerEntry, type LedgerErrorInfo, type PendingKind } from './entry';
import { streamStart } from './head';

/** The defaults of {@link PlanPolicy}, also used by config.ts. */
export const PLAN_DEFAULTS = Object.freeze({
  /** Late contacts (3 h), late scores (a day), late audits (a week). */
  refreshLagHours: Object.freeze([3, 24, 168]) as readonly number[],
  maxAttempts: 5,
  /** First retry after 30 minutes, doubling per failed attempt. */
  retryBackoffMs: 30 * 60_000,
  maxRetryBackoffMs: 24 * HOUR_MS,
  /** Quarantined hours are retried once a day. */
  quarantineRetryMs: 24 * HOUR_MS,
});

/** How the planner judges what is due. */
export interface PlanPolicy {
  /** The configured first hour of the archive; undefined = the stream's origin (see head.ts). */
  readonly archiveStart: Date | undefined;
  readonly refreshLagHours: readonly number[];
  /** Failed attempts in a row after which an hour is quarantined. */
  readonly maxAttempts: number;
  /** Wait before the first retry of a failed hour; doubles with each further failure. */
  readonly retryBackoffMs: number;
  readonly maxRetryBackoffMs?: number;
  readonly quarantineRetryMs?: number;
}

/** What the planner reads of one stream: its head and its entries from the read watermark on. */
export interface StreamView {
  readonly streamId: string;
  readonly head: LedgerHead | undefined;
  readonly entries: ReadonlyMap<number, LedgerEntry>;
}

/** One window to work on. */
export interface WorkItem {
  readonly streamId: string;
  /** Start of the UTC hour. */
  readonly hour: Date;
  readonly kind: PendingKind;
  /** A daily retry of a quarantined hour. */
  readonly quarantined: boolean;
  /** Since when the work is due. */
  readonly dueAt: Date;
  /** Estimated API requests (see {@link estimateRequests}). */
  readonly estimatedRequests: number;
  /** The hour's entry, if it has one (its checkpoint is the continuation state). */
  readonly entry: LedgerEntry | undefined;
}

/** One stream's position, for status output, metrics and alarms. */
export interface StreamBacklog {
  readonly streamId: string;
  /** Closed hours never archived (the catch-up still to do). */
  readonly hoursBehind: number;
  readonly refreshesDue: number;
  /** Refreshes due for more than an hour (a sign the budget does not keep up). */
  readonly refreshesOverdue: number;
  /** Hours whose last attempt failed (due now or after their backoff). */
  readonly failed: number;
  readonly quarantined: number;
  readonly backfillPending: number;
  /** The next refresh tier to fall due among archived hours, if any is not yet due. */
  readonly nextRefreshDueAt: Date | undefined;
  /** API requests per archived contact over the hours read (the cost of the archive), if any were archived. */
  readonly requestsPerContact: number | undefined;
  /** Keys the schema does not map, over the hours read (drift: map them with ARCHIVE_COLUMN_ALIASES, then reprocess). */
  readonly unknownKeys: readonly string[];
  /** The most recent error recorded on a failed or quarantined hour. */
  readonly lastError: (LedgerErrorInfo & { readonly hour: Date; readonly at: Date | undefined }) | undefined;
}

/** The policy a configuration asks for (see config.ts). */
export function planPolicy(config: {
  readonly archiveStart: Date | undefined;
  readonly refreshLagHours: readonly number[];
  readonly maxWindowAttempts: number;
  readonly retryBackoffMs: number;
}): PlanPolicy {
  return {
    archiveStart: config.archiveStart,
    refreshLagHours: config.refreshLagHours,
    maxAttempts: config.maxWindowAttempts,
    retryBackoffMs: config.retryBackoffMs,
  };
}

/** Backoff after `attempts` failures: doubling from `retryBackoffMs`, capped. */
export function retryDelayMs(attempts: number, policy: PlanPolicy): number {
  const cap = policy.maxRetryBackoffMs ?? PLAN_DEFAULTS.maxRetryBackoffMs;
  return Math.min(cap, policy.retryBackoffMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Estimated API requests to archive one hour: what its last complete archive cost, else the most that
 * a neighbouring hour cost (the previous hours, the same hour a day and a week before), else 1. A
 * checkpointed window only needs what is left of that.
 */
export function estimateRequests(entry: LedgerEntry | undefined, neighbours: readonly (LedgerEntry | undefined)[]): number {
  const known = neighbours.flatMap((n) => (n?.requests === undefined ? [] : [n.requests]));
  const full = entry?.requests ?? (known.length > 0 ? Math.max(...known) : 1);
  const spent = entry?.checkpoint !== undefined ? (entry.requestsSinceSuccess ?? 0) : 0;
  return Math.max(1, full - spent);
}

const NEIGHBOUR_OFFSETS_H = [1, 2, 3, 24, 168];

interface Classified {
  readonly work: WorkItem[];
  readonly backlog: StreamBacklog;
}

function classify(view: StreamView, policy: PlanPolicy, now: Date): Classified {
  const newest = previousHour(now).getTime();
  const start = (streamStart(view.head, policy.archiveStart) ?? new Date(newest)).getTime();
  const from = Math.max(start, view.head?.settledBefore?.getTime() ?? start);
  const quarantineRetryMs = policy.quarantineRetryMs ?? PLAN_DEFAULTS.quarantineRetryMs;
  const item = (hour: number, kind: PendingKind, dueAt: number, quarantined = false): WorkItem => {
    const entry = view.entries.get(hour);
    const neighbours = NEIGHBOUR_OFFSETS_H.map((h) => view.entries.get(hour - h * HOUR_MS));
    return { streamId: view.streamId, hour: new Date(hour), kind, quarantined, dueAt: new Date(dueAt), estimatedRequests: estimateRequests(entry, neighbours), entry };
  };

  const fresh: WorkItem[] = [];
  const refreshes: WorkItem[] = [];
  const retries: WorkItem[] = [];
  const quarantines: WorkItem[] = [];
  const backfills: WorkItem[] = [];
  let failed = 0;
  let quarantined = 0;
  let nextRefresh: number | undefined;
  let lastError: StreamBacklog['lastError'];
  let requests = 0;
  let contacts = 0;
  const unknownKeys = new Set<string>();

  let behind = 0;
  for (let t = from; t <= newest; t += HOUR_MS) {
    const entry = view.entries.get(t);
    if (entry === undefined) fresh.push(item(t, 'new', t + HOUR_MS));
    if (entry?.lastSuccessAt === undefined) behind += 1;
  }

  for (const entry of view.entries.values()) {
    const t = entry.hour.getTime();
    if (t > newest) continue;
    const lastAttempt = entry.lastAttemptAt?.getTime() ?? 0;
    if (entry.requests !== undefined && entry.records !== undefined) {
      requests += entry.requests;
      contacts += entry.records;
    }
    for (const key of entry.unknownKeys ?? []) unknownKeys.add(key);
    if (entry.status === 'failed' || entry.status === 'quarantined') {
      const isQuarantined = entry.status === 'quarantined' || entry.attempts >= policy.maxAttempts;
      if (isQuarantined) quarantined += 1;
      else failed += 1;
      if (entry.lastError !== undefined && (lastError === undefined || (lastError.at?.getTime() ?? 0) <= lastAttempt)) {
        lastError = { ...entry.lastError, hour: entry.hour, at: entry.lastAttemptAt };
      }
      const dueAt = lastAttempt + (isQuarantined ? quarantineRetryMs : retryDelayMs(entry.attempts, policy));
      if (dueAt <= now.getTime()) (isQuarantined ? quarantines : retries).push(item(t, 'retry', dueAt, isQuarantined));
    } else if (entry.status === 'pending') {
      let kind = entry.pending ?? (entry.lastSuccessAt === undefined ? 'new' : 'refresh');
      // A backfill asked for an hour the normal catch-up would archive anyway: it keeps the catch-up's priority.
      if (kind === 'backfill' && entry.lastSuccessAt === undefined && t >= start) kind = 'new';
      const list = kind === 'backfill' ? backfills : kind === 'new' ? fresh : kind === 'refresh' ? refreshes : retries;
      list.push(item(t, kind, kind === 'new' ? t + HOUR_MS : lastAttempt));
    } else {
      const due = dueRefreshAt(entry, policy.refreshLagHours, now);
      if (due !== undefined) refreshes.push(item(t, 'refresh', due.getTime()));
      // From the current tiers, not the stored progress, so a changed configuration applies at once.
      const next = refreshState(entry.hour, entry.lastSuccessAt, policy.refreshLagHours).nextDueAt?.getTime();
      if (due === undefined && next !== undefined && next > now.getTime() && (nextRefresh === undefined || next < nextRefresh)) nextRefresh = next;
    }
  }

  const byHour = (a: WorkItem, b: WorkItem): number => a.hour.getTime() - b.hour.getTime();
  const byDue = (a: WorkItem, b: WorkItem): number => a.dueAt.getTime() - b.dueAt.getTime() || byHour(a, b);
  const work = [...fresh.sort(byHour), ...refreshes.sort(byDue), ...retries.sort(byHour), ...quarantines.sort(byHour), ...backfills.sort(byHour)];
  return {
    work,
    backlog: {
      streamId: view.streamId,
      hoursBehind: behind,
      refreshesDue: refreshes.length,
      refreshesOverdue: refreshes.filter((w) => w.dueAt.getTime() + HOUR_MS <= now.getTime()).length,
      failed,
      quarantined,
      backfillPending: backfills.length,
      nextRefreshDueAt: nextRefresh === undefined ? undefined : new Date(nextRefresh),
      requestsPerContact: contacts > 0 ? requests / contacts : undefined,
      unknownKeys: [...unknownKeys].sort(),
      lastError,
    },
  };
}

/** One stream's due work, in the order it should be taken. */
export function streamWork(view: StreamView, policy: PlanPolicy, now: Date): WorkItem[] {
  return classify(view, policy, now).work;
}

/** One stream's backlog (hours behind, refreshes due and overdue, failures, last error). */
export function streamBacklog(view: StreamView, policy: PlanPolicy, now: Date): StreamBacklog {
  return classify(view, policy, now).backlog;
}

/**
 * Every stream's due work as one list: each stream's own order kept, the streams interleaved so that
 * the next item always comes from the stream given the fewest estimated requests so far.
 */
export function planWork(views: readonly StreamView[], policy: PlanPolicy, now: Date): WorkItem[] {
  const streams = views.map((view) => ({ queue: streamWork(view, policy, now), taken: 0, given: 0 }));
  const plan: WorkItem[] = [];
  for (;;) {
    const open = streams.filter((s) => s.taken < s.queue.length);
    if (open.length === 0) return plan;
    // The first stream with the least so far: ties go to the configured order.
    const next = open.reduce((best, s) => (s.given < best.given ? s : best));
    const item = next.queue[next.taken] as WorkItem;
    plan.push(item);
    next.taken += 1;
    next.given += item.estimatedRequests;
  }
}

/**
 * Picks the work to start with `remainingRequests` left in this invocation (time left × rate), in plan
 * order: an item that fits is started; one that does not is left due, and smaller ones after it may
 * still fit. A window larger than a whole invocation (`invocationRequests`) can never fit, so it is
 * started anyway when at least half an invocation is left: it continues across invocations from its
 * checkpoint.
 */
export function selectWork(
  plan: readonly WorkItem[],
  budget: { readonly remainingRequests: number; readonly invocationRequests: number },
): { readonly start: WorkItem[]; readonly deferred: WorkItem[] } {
  let remaining = budget.remainingRequests;
  const start: WorkItem[] = [];
  const deferred: WorkItem[] = [];
  for (const item of plan) {
    if (item.estimatedRequests <= remaining) {
      start.push(item);
      remaining -= item.estimatedRequests;
    } else if (item.estimatedRequests > budget.invocationRequests && remaining >= budget.invocationRequests / 2) {
      start.push(item);
      remaining = 0;
    } else {
      deferred.push(item);
    }
  }
  return { start, deferred };
}
