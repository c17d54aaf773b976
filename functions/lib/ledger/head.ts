/**
 * A stream's head: the settled watermark that keeps ledger reads short, and the migration from the
 * pre-ledger high-water mark (`_state/stream_id={id}.json`).
 *
 * No hour before `settledBefore` is due or unsettled (hours from the stream's start up to it are archived
 * with every refresh tier done), so a run reads day documents only from there on. The watermark only
 * moves forward when nobody changed the head meanwhile, and a backfill lowers it before marking hours,
 * so no due hour is ever hidden below it.
 */
import { HOUR_MS, floorHour, hoursBetween, previousHour } from '../sync/windows';
import { ArchiveError } from '../errors';
import type { LedgerHead, LedgerHeadInput } from './codec';
import { markDue, refreshState, type LedgerEntry, type PendingKind } from './entry';
import type { Ledger } from './ledger';

/** The pre-ledger progress of a stream (what `archive/state.ts` stores). */
export interface LegacyState {
  get(streamId: string): Promise<{ readonly lastArchivedHour: Date; readonly updatedAt: Date; readonly runId: string } | undefined>;
}

/** True when nothing will ever be due for this hour again (with these tiers). */
export function isSettled(entry: LedgerEntry | undefined, tiers: readonly number[]): boolean {
  return (
    entry !== undefined &&
    entry.status === 'archived' &&
    entry.pending === undefined &&
    entry.checkpoint === undefined &&
    refreshState(entry.hour, entry.lastSuccessAt, tiers).nextDueAt === undefined
  );
}

/**
 * The first hour a stream archives as new: the configured archive start, else the head's origin (the
 * newest closed hour when the stream's ledger was created).
 */
export function streamStart(head: LedgerHead | undefined, archiveStart: Date | undefined): Date | undefined {
  return archiveStart ?? head?.origin;
}

/** Where reads of a stream's entries start: the settled watermark, else the stream's start. */
export function readFrom(head: LedgerHead | undefined, archiveStart: Date | undefined): Date | undefined {
  return head?.settledBefore ?? streamStart(head, archiveStart);
}

/**
 * Where the settled watermark can move: from `current` (or the stream's `start`) over every consecutive
 * hour before `now` that needs nothing more: settled entries, and hours before `start` without an entry
 * (not part of the archive). Returns `current` when it cannot move.
 */
export function settledWatermark(o: {
  readonly current: Date | undefined;
  readonly start: Date | undefined;
  readonly entries: ReadonlyMap<number, LedgerEntry>;
  readonly tiers: readonly number[];
  readonly now: Date;
}): Date | undefined {
  const first = o.current ?? o.start;
  if (first === undefined) return o.current;
  const start = o.start?.getTime() ?? first.getTime();
  let t = first.getTime();
  const end = floorHour(o.now).getTime();
  for (; t < end; t += HOUR_MS) {
    const entry = o.entries.get(t);
    if (entry === undefined ? t >= start : !isSettled(entry, o.tiers)) break;
  }
  return t === first.getTime() ? o.current : new Date(t);
}

/**
 * Moves the watermark forward to `to`, but only over the head as it was read (`observed`, read before
 * the entries `to` was computed from): if anyone wrote the head meanwhile (a backfill does, after
 * marking hours), nothing moves. Returns true when it moved.
 */
export async function advanceSettled(
  ledger: Ledger,
  streamId: string,
  o: { readonly observed: LedgerHead; readonly to: Date; readonly now: Date },
): Promise<boolean> {
  let moved = false;
  await ledger.updateHead(streamId, (current) => {
    moved = false;
    if (current === undefined || current.version !== o.observed.version) return undefined;
    if (current.settledBefore !== undefined && current.settledBefore.getTime() >= o.to.getTime()) return undefined;
    moved = true;
    return { ...current, settledBefore: o.to, updatedAt: o.now };
  });
  return moved;
}

/**
 * Advances the stream's watermark as far as `view` (head read first, then entries) allows. Call it with
 * the view a run planned from; returns true when the watermark moved.
 */
export async function settleStream(
  ledger: Ledger,
  view: { readonly streamId: string; readonly head: LedgerHead | undefined; readonly entries: ReadonlyMap<number, LedgerEntry> },
  o: { readonly archiveStart: Date | undefined; readonly tiers: readonly number[]; readonly now: Date },
): Promise<boolean> {
  if (view.head === undefined) return false;
  const to = settledWatermark({
    current: view.head.settledBefore,
    start: streamStart(view.head, o.archiveStart),
    entries: view.entries,
    tiers: o.tiers,
    now: o.now,
  });
  if (to === undefined || (view.head.settledBefore !== undefined && to.getTime() <= view.head.settledBefore.getTime())) return false;
  return advanceSettled(ledger, view.streamId, { observed: view.head, to, now: o.now });
}

/**
 * Marks `hours` due as `kind` (a backfill). The entries are written first; then the head is written
 * (always, so its version changes), lowering the watermark to the earliest hour if it is above it.
 * Together with {@link advanceSettled} this means no marked hour can end up hidden below the
 * watermark, however a run's planning interleaves with it. `start` is the stream's start
 * ({@link streamStart}). Returns the entries written.
 */
export async function markHoursDue(
  ledger: Ledger,
  streamId: string,
  o: {
    readonly hours: readonly Date[];
    readonly kind: PendingKind;
    readonly start: Date | undefined;
    readonly now: Date;
    readonly runId: string;
  },
): Promise<LedgerEntry[]> {
  if (o.hours.length === 0) return [];
  if ((await ledger.head(streamId)) === undefined) {
    throw new ArchiveError(`ledger: stream ${streamId} has no head yet (call ensureMigrated first)`);
  }
  const earliest = Math.min(...o.hours.map((h) => h.getTime()));
  const written = await ledger.update(streamId, o.hours, (current, hour) =>
    markDue(current, { streamId, hour, at: o.now, runId: o.runId, kind: o.kind }),
  );
  await ledger.updateHead(streamId, (current) => {
    if (current === undefined) throw new ArchiveError(`ledger: the head of stream ${streamId} disappeared`);
    const from = current.settledBefore ?? o.start;
    const lower = from === undefined || from.getTime() > earliest;
    return { ...current, ...(lower ? { settledBefore: new Date(earliest) } : {}), updatedAt: o.now };
  });
  return written;
}

/**
 * Makes sure the stream has a head, creating it on first run. When a pre-ledger state exists, the hours
 * from `archiveStart` through its `lastArchivedHour` become archived: those whose refresh tiers were all
 * past when the state was written fall below the watermark; the rest get entries whose refresh tiers
 * count from the state's `updatedAt` (the only archive time known), so later tiers are still done.
 * Entries are written before the head, so a run killed in between migrates again, idempotently.
 */
export async function ensureMigrated(
  ledger: Ledger,
  streamId: string,
  o: {
    readonly state: LegacyState;
    readonly archiveStart: Date | undefined;
    readonly tiers: readonly number[];
    readonly now: Date;
  },
): Promise<LedgerHead> {
  const existing = await ledger.head(streamId);
  if (existing !== undefined) return existing;

  const legacy = await o.state.get(streamId);
  let head: LedgerHeadInput = { streamId, origin: previousHour(o.now), updatedAt: o.now };
  if (legacy !== undefined) {
    const maxTier = Math.max(0, ...o.tiers);
    const lastSettled = floorHour(new Date(legacy.updatedAt.getTime() - HOUR_MS - maxTier * HOUR_MS));
    const afterLast = new Date(legacy.lastArchivedHour.getTime() + HOUR_MS);
    const settledBefore = new Date(Math.min(lastSettled.getTime() + HOUR_MS, afterLast.getTime()));
    const from = o.archiveStart !== undefined && o.archiveStart.getTime() > settledBefore.getTime() ? o.archiveStart : settledBefore;
    const hours = hoursBetween(from, afterLast);
    await ledger.update(streamId, hours, (current, hour) =>
      current !== undefined
        ? undefined
        : {
            streamId,
            hour,
            status: 'archived',
            attempts: 0,
            lastSuccessAt: legacy.updatedAt,
            refresh: refreshState(hour, legacy.updatedAt, o.tiers),
            runId: legacy.runId,
          },
    );
    head = {
      streamId,
      settledBefore,
      origin: o.archiveStart ?? settledBefore,
      migratedFrom: { lastArchivedHour: legacy.lastArchivedHour, updatedAt: legacy.updatedAt },
      updatedAt: o.now,
    };
  }
  const created = head;
  const result = await ledger.updateHead(streamId, (current) => current ?? created);
  if (result === undefined) throw new ArchiveError(`ledger: could not create the head of stream ${streamId}`);
  return result;
}

/**
 * What the planner and `status` need of one stream: its head and its entries from the read watermark
 * (or `alsoFrom`, if earlier) up to `now`. Reads only; never creates the head.
 */
export async function readStreamView(
  ledger: Ledger,
  streamId: string,
  o: { readonly archiveStart: Date | undefined; readonly now: Date; readonly alsoFrom?: Date },
): Promise<{ readonly streamId: string; readonly head: LedgerHead | undefined; readonly entries: ReadonlyMap<number, LedgerEntry> }> {
  const head = await ledger.head(streamId);
  const starts = [readFrom(head, o.archiveStart), o.alsoFrom, previousHour(o.now)].flatMap((d) => (d === undefined ? [] : [d.getTime()]));
  const entries = await ledger.read(streamId, { from: new Date(Math.min(...starts)), to: new Date(o.now.getTime() + HOUR_MS) });
  return { streamId, head, entries };
}
