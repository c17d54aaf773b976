/**
 * One ledger entry: what is known about one stream-hour, and the pure transitions that record what a
 * run did to it. The store (ledger.ts) persists entries; the planner reads them; nothing here does I/O.
 */
import { HOUR_MS } from '../sync/windows';

/**
 * - `archived`: a complete partition exists and nothing but (computed) refreshes is due.
 * - `pending`: work was asked for or started and not finished (a backfill, a checkpointed window).
 * - `failed`: the last attempt failed; retried after a backoff.
 * - `quarantined`: failed `maxAttempts` times in a row; retried daily, never blocking later hours.
 */
export type HourStatus = 'archived' | 'pending' | 'failed' | 'quarantined';

/** Why an hour is worked on: first archive, a refresh tier, a retry after failure, an explicit backfill. */
export type PendingKind = 'new' | 'refresh' | 'retry' | 'backfill';

/** JSON as the fetch code stores it in a checkpoint; the ledger never looks inside. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** An error as the ledger keeps it: name and message only, never a value from the data. */
export interface LedgerErrorInfo {
  readonly name: string;
  readonly message: string;
}

/** Refresh progress of an archived hour, as computed when it was last archived. */
export interface RefreshState {
  /** Lags (hours) of the tiers satisfied by the last successful archive, ascending. */
  readonly done: readonly number[];
  /** When the next tier falls due; undefined when every tier is done. */
  readonly nextDueAt?: Date;
}

/** What the ledger knows about one stream-hour. */
export interface LedgerEntry {
  readonly streamId: string;
  /** Start of the UTC hour. */
  readonly hour: Date;
  readonly status: HourStatus;
  /** The work asked for or in progress (set while `pending`, and on `failed`/`quarantined` the work that failed). */
  readonly pending?: PendingKind;
  /** Failed attempts since the last success (0 after a success). */
  readonly attempts: number;
  readonly lastAttemptAt?: Date;
  /** When the hour's partition was last completed; undefined = never archived. */
  readonly lastSuccessAt?: Date;
  /** Contacts in the partition after the last success. */
  readonly records?: number;
  /** The API's `totalResults` seen by the last success. */
  readonly apiTotalResults?: number;
  /** API requests the last successful archive cost, across all the invocations it took. */
  readonly requests?: number;
  /** API requests spent on the unfinished work since the last success (checkpointed or failed attempts). */
  readonly requestsSinceSuccess?: number;
  /** Keys the schema did not map in the last successful version (drift; their values are only in `raw`). */
  readonly unknownKeys?: readonly string[];
  readonly refresh: RefreshState;
  readonly lastError?: LedgerErrorInfo;
  /** Continuation state owned by the fetch code; cleared by a success. */
  readonly checkpoint?: Json;
  /** The run that last changed this entry. */
  readonly runId?: string;
}

/** When refresh tier `lag` of `hour` falls due: `lag` hours after the hour closed. */
export function refreshDueAt(hour: Date, lag: number): Date {
  return new Date(hour.getTime() + HOUR_MS + lag * HOUR_MS);
}

/**
 * Tiers an archive completed at `archivedAt` satisfies: those already due by then (an archive taken
 * after a tier's time has everything that tier waits for). Computed from the current tiers, so a
 * changed configuration applies to every hour.
 */
export function refreshState(hour: Date, archivedAt: Date | undefined, tiers: readonly number[]): RefreshState {
  const sorted = [...tiers].sort((a, b) => a - b);
  if (archivedAt === undefined) {
    const first = sorted[0];
    return first === undefined ? { done: [] } : { done: [], nextDueAt: refreshDueAt(hour, first) };
  }
  const done = sorted.filter((lag) => refreshDueAt(hour, lag).getTime() <= archivedAt.getTime());
  const next = sorted.find((lag) => refreshDueAt(hour, lag).getTime() > archivedAt.getTime());
  return next === undefined ? { done } : { done, nextDueAt: refreshDueAt(hour, next) };
}

/** The earliest refresh tier of an archived hour that is due at `now` and not yet done, if any. */
export function dueRefreshAt(entry: LedgerEntry, tiers: readonly number[], now: Date): Date | undefined {
  if (entry.lastSuccessAt === undefined) return undefined;
  const next = refreshState(entry.hour, entry.lastSuccessAt, tiers).nextDueAt;
  return next !== undefined && next.getTime() <= now.getTime() ? next : undefined;
}

/** Identity of the entry being changed, and who changes it when. */
export interface Change {
  readonly streamId: string;
  readonly hour: Date;
  readonly at: Date;
  readonly runId: string;
}

function base(previous: LedgerEntry | undefined, change: Change): LedgerEntry {
  return previous ?? { streamId: change.streamId, hour: change.hour, status: 'pending', pending: 'new', attempts: 0, refresh: { done: [] } };
}

/** What work an entry stands for next: its pending kind, or refresh/new from whether it was ever archived. */
function workKind(entry: LedgerEntry): PendingKind {
  return entry.pending ?? (entry.lastSuccessAt === undefined ? 'new' : 'refresh');
}

/**
 * The hour is due as `kind` (a backfill, or a refresh asked for explicitly). An explicit request also
 * clears a quarantine: an operator asking for the hour wants it tried now.
 */
export function markDue(previous: LedgerEntry | undefined, change: Change & { readonly kind: PendingKind }): LedgerEntry {
  const entry = base(previous, change);
  return { ...entry, status: 'pending', pending: change.kind, attempts: 0, runId: change.runId };
}

/** The hour's partition was completed. Clears checkpoint, error and attempts; computes refresh progress. */
export function recordSuccess(
  previous: LedgerEntry | undefined,
  change: Change & {
    readonly records: number;
    readonly apiTotalResults: number | undefined;
    readonly requests: number;
    readonly tiers: readonly number[];
    readonly unknownKeys?: readonly string[];
  },
): LedgerEntry {
  const { pending: _pending, lastError: _error, checkpoint: _checkpoint, requestsSinceSuccess, unknownKeys: _keys, ...entry } = base(previous, change);
  return {
    ...entry,
    status: 'archived',
    attempts: 0,
    lastAttemptAt: change.at,
    lastSuccessAt: change.at,
    records: change.records,
    ...(change.apiTotalResults === undefined ? {} : { apiTotalResults: change.apiTotalResults }),
    requests: (requestsSinceSuccess ?? 0) + change.requests,
    refresh: refreshState(change.hour, change.at, change.tiers),
    ...(change.unknownKeys === undefined || change.unknownKeys.length === 0 ? {} : { unknownKeys: [...change.unknownKeys] }),
    runId: change.runId,
  };
}

/**
 * The invocation ran out of time before the hour was complete. Not a failure: the hour stays pending,
 * with the fetch code's checkpoint (or none, to start over), and its attempts unchanged.
 */
export function recordProgress(
  previous: LedgerEntry | undefined,
  change: Change & { readonly requests: number; readonly checkpoint: Json | undefined },
): LedgerEntry {
  const { checkpoint: _checkpoint, ...entry } = base(previous, change);
  return {
    ...entry,
    status: entry.status === 'archived' || entry.status === 'pending' ? 'pending' : entry.status,
    pending: workKind(entry),
    lastAttemptAt: change.at,
    requestsSinceSuccess: (entry.requestsSinceSuccess ?? 0) + change.requests,
    ...(change.checkpoint === undefined ? {} : { checkpoint: change.checkpoint }),
    runId: change.runId,
  };
}

/**
 * The attempt failed. After `maxAttempts` failures in a row the hour is quarantined. The checkpoint is
 * dropped unless the caller passes one it trusts (a failure may come from what the checkpoint says).
 */
export function recordFailure(
  previous: LedgerEntry | undefined,
  change: Change & {
    readonly error: LedgerErrorInfo;
    readonly requests: number;
    readonly maxAttempts: number;
    readonly checkpoint?: Json;
  },
): LedgerEntry {
  const { checkpoint: _checkpoint, ...entry } = base(previous, change);
  const attempts = entry.attempts + 1;
  return {
    ...entry,
    status: attempts >= change.maxAttempts ? 'quarantined' : 'failed',
    pending: workKind(entry),
    attempts,
    lastAttemptAt: change.at,
    requestsSinceSuccess: (entry.requestsSinceSuccess ?? 0) + change.requests,
    lastError: { name: change.error.name, message: change.error.message },
    ...(change.checkpoint === undefined ? {} : { checkpoint: change.checkpoint }),
    runId: change.runId,
  };
}

/** An error reduced to what the ledger keeps (name and message; messages in this project carry no data values). */
export function errorInfo(error: unknown): LedgerErrorInfo {
  if (error instanceof Error) return { name: error.name, message: error.message.slice(0, 500) };
  return { name: 'Error', message: String(error).slice(0, 500) };
}
