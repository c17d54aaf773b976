/**
 * A stream's head: the settled watermark that keeps ledger reads short, and the migration from the
 * pre-ledger high-water mark (`_state/stream_id={id}.json`).
 *
 * Every hour before `settledBefore` is archived with every refresh tier done and nothing pending, so a
 * run reads day documents only from there on. The watermark only moves forward when nobody changed
 * the head meanwhile, and a backfill lowers it before marking hours, so no due hour is ever hidden
 * below it.
 */
import { HOUR_MS, floorHour, hoursBetween } from '../sync/windows';
import type { LedgerHead } from './codec';
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
 * Where the settled watermark can move: from `current` (or `archiveStart`, or the first entry) over
 * every consecutive settled hour before `now`. Returns `current` when it cannot move.
 */
export function settledWatermark(o: {
  readonly current: Date | undefined;
  readonly archiveStart: Date | undefined;
  readonly entries: ReadonlyMap<number, LedgerEntry>;
  readonly tiers: readonly number[];
  readonly now: Date;
}): Date | undefined {
  const first = o.current ?? o.archiveStart ?? [...o.entries.values()][0]?.hour;
  if (first === undefined) return o.current;
  let t = first.getTime();
  const end = floorHour(o.now).getTime();
  while (t < end && isSettled(o.entries.get(t), o.tiers)) t += HOUR_MS;
  return t === first.getTime() ? o.current : new Date(t);
}

/**
 * Moves the watermark forward to `to`, but only over the head as it was read (`observed`): if another
 * run changed the head meanwhile (a backfill lowering it), nothing moves. Returns true when it moved.
 */
export async function advanceSettled(
  ledger: Ledger,
  streamId: string,
  o: { readonly observed: LedgerHead; readonly to: Date; readonly now: Date },
): Promise<boolean> {
  let moved = false;
  await ledger.updateHead(streamId, (current) => {
    moved = false;
    if (current === undefined || current.updatedAt.getTime() !== o.observed.updatedAt.getTime()) return undefined;
    if (current.settledBefore?.getTime() !== o.observed.settledBefore?.getTime()) return undefined;
    if (current.settledBefore !== undefined && current.settledBefore.getTime() >= o.to.getTime()) return undefined;
    moved = true;
    return { ...current, settledBefore: o.to, updatedAt: o.now };
  });
  return moved;
}

/**
 * Marks `hours` due as `kind` (a backfill): first lowers the watermark below the earliest of them, then
 * marks the entries, so a run that reads from the watermark always sees them. Returns the entries written.
 */
export async function markHoursDue(
  ledger: Ledger,
  streamId: string,
  o: { readonly hours: readonly Date[]; readonly kind: PendingKind; readonly now: Date; readonly runId: string },
): Promise<LedgerEntry[]> {
  const earliest = Math.min(...o.hours.map((h) => h.getTime()));
  if (!Number.isFinite(earliest)) return [];
  await ledger.updateHead(streamId, (current) => {
    if (current?.settledBefore === undefined || current.settledBefore.getTime() <= earliest) return undefined;
    return { ...current, settledBefore: new Date(earliest), updatedAt: o.now };
  });
  return ledger.update(streamId, o.hours, (current, hour) => markDue(current, { streamId, hour, at: o.now, runId: o.runId, kind: o.kind }));
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
  let head: LedgerHead = { streamId, updatedAt: o.now };
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
      migratedFrom: { lastArchivedHour: legacy.lastArchivedHour, updatedAt: legacy.updatedAt },
      updatedAt: o.now,
    };
  }
  const created = head;
  return (await ledger.updateHead(streamId, (current) => current ?? created)) ?? created;
}
