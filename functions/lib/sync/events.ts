import { EventValidationError } from '../errors';
import { parseHour } from '../config';
import { formatHour, HOUR_MS, hoursBetween, previousHour } from './windows';

/** What an invocation asks for. */
export type SyncRequest =
  /** Scheduled: archive the hour before `time`, after catching up every missed hour since the state. */
  | { readonly kind: 'scheduled'; readonly time: Date }
  /** Manual: archive exactly these hours (oldest first) now, whatever the ledger says. */
  | { readonly kind: 'manual'; readonly hours: readonly Date[] }
  /** Backfill: mark these hours due in the ledger (for `streams`, default all); the drain archives them. */
  | { readonly kind: 'backfill'; readonly hours: readonly Date[]; readonly streams: readonly string[] | undefined };

/**
 * Rewrite archived hours without the API: rebuild them from `raw` (`reprocess`), or remove chosen conversation
 * ids from them (`prune`). `streams` defaults to every configured stream.
 */
export interface ReprocessRequest {
  readonly kind: 'reprocess' | 'prune';
  readonly hours: readonly Date[];
  readonly streams: readonly string[] | undefined;
  /** The contacts a prune removes. */
  readonly conversationIds?: readonly string[];
}

/**
 * Parses `{"action": "reprocess", "from": "...", "to": "...", "streams"?: [...]}` and
 * `{"action": "prune", ..., "conversationIds": [...]}`. Any number of hours: no API request is made, and an
 * invocation that runs out of time returns the hours it left (see the handler).
 */
export function parseReprocessEvent(event: Readonly<Record<string, unknown>>): ReprocessRequest {
  const kind = event.action === 'prune' ? 'prune' : 'reprocess';
  const { hours, streams } = rangeAction(event, kind, kind === 'prune' ? ['conversationIds'] : []);
  if (kind === 'reprocess') return { kind, hours, streams };
  const ids = event.conversationIds;
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((s) => typeof s !== 'string' || s === '')) {
    throw new EventValidationError('"conversationIds" must be a non-empty list of the conversation ids to remove');
  }
  return { kind, hours, streams, conversationIds: ids as string[] };
}

/**
 * The shared fields of an `{"action": ...}` event over a range of hours: `from` and `to` (exclusive), an optional
 * list of `streams`, and no field but those and `extra`.
 */
function rangeAction(
  event: Readonly<Record<string, unknown>>,
  action: string,
  extra: readonly string[],
): { hours: Date[]; streams: readonly string[] | undefined } {
  const allowed = ['action', 'from', 'to', 'streams', ...extra];
  const unknown = Object.keys(event).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new EventValidationError(`a ${action} event takes only ${allowed.slice(1).map((k) => `"${k}"`).join(', ')}, not "${unknown[0]}"`);
  }
  const from = hourField(event.from, 'from');
  const to = hourField(event.to, 'to');
  if (to.getTime() <= from.getTime()) throw new EventValidationError('"to" must be after "from" (it is exclusive)');
  const { streams } = event;
  if (streams !== undefined && (!Array.isArray(streams) || streams.some((s) => typeof s !== 'string' || s === ''))) {
    throw new EventValidationError('"streams" must be a list of stream ids');
  }
  return { hours: hoursBetween(from, to), streams: streams as string[] | undefined };
}

/** A manual request may ask for at most this many hours (31 days): bigger backfills are split. */
export const MAX_MANUAL_HOURS = 24 * 31;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hourField(value: unknown, field: string): Date {
  const hour = typeof value === 'string' ? parseHour(value) : undefined;
  if (hour === undefined) {
    throw new EventValidationError(`event field "${field}" must be an hour in UTC like "2026-11-20T10"`);
  }
  return hour;
}

/** What {@link parseEvent} checks events against. */
export interface EventLimits {
  /**
   * The first archived hour (`ARCHIVE_START`). Athena's partition projection starts at its date, so an hour
   * before it would be archived where no query can see it.
   */
  readonly archiveStart?: Date;
}

function manualHours(hours: Date[], now: Date, limits: EventLimits, maxHours = MAX_MANUAL_HOURS): SyncRequest {
  if (hours.length === 0) throw new EventValidationError('the event names no hour to archive');
  if (hours.length > maxHours) {
    throw new EventValidationError(`the event asks for ${hours.length} hours; at most ${MAX_MANUAL_HOURS} per invocation`);
  }
  const unique = [...new Map(hours.map((h) => [h.getTime(), h])).values()].sort((a, b) => a.getTime() - b.getTime());
  const first = unique[0];
  if (first !== undefined && limits.archiveStart !== undefined && first.getTime() < limits.archiveStart.getTime()) {
    throw new EventValidationError(
      `hour ${formatHour(first)} is before ARCHIVE_START (${formatHour(limits.archiveStart)}): Athena's partition ` +
        'projection starts there and would never show it; move archiveStart earlier and redeploy first',
    );
  }
  const last = unique[unique.length - 1];
  // An hour that has not ended yet would be archived incomplete and look complete in its manifest.
  if (last !== undefined && last.getTime() + HOUR_MS > now.getTime()) {
    throw new EventValidationError(`hour ${formatHour(last)} has not ended yet; only past hours can be archived`);
  }
  return { kind: 'manual', hours: unique };
}

function backfillEvent(event: Readonly<Record<string, unknown>>, now: Date, limits: EventLimits): SyncRequest {
  const range = rangeAction(event, 'backfill', []);
  // Months are normal: no cap on the range. Validated like a manual range otherwise.
  const { hours } = manualHours(range.hours, now, limits, Number.POSITIVE_INFINITY) as { hours: readonly Date[] };
  return { kind: 'backfill', hours, streams: range.streams };
}

/**
 * Turns a Lambda event into a {@link SyncRequest}, or throws an {@link EventValidationError} that says
 * what is wrong, before anything is fetched or written. Accepted shapes:
 * - an EventBridge scheduled event (`{"detail-type": "Scheduled Event", "time": "..."}`, from a Rule or Scheduler);
 * - `{"hours": ["2026-11-20T10", ...]}`;
 * - `{"from": "2026-11-01T00", "to": "2026-11-02T00"}` (end exclusive).
 */
export function parseEvent(event: unknown, now: Date, limits: EventLimits = {}): SyncRequest {
  if (!isRecord(event)) throw new EventValidationError('the event must be a JSON object');

  // The drain state machine's loop: work through whatever the ledger says is due, like a scheduled run.
  if (event.action === 'drain') {
    if (Object.keys(event).some((k) => k !== 'action')) throw new EventValidationError('a drain event takes no other field');
    return { kind: 'scheduled', time: now };
  }
  if (event.action === 'backfill') return backfillEvent(event, now, limits);

  if (event['detail-type'] === 'Scheduled Event') {
    const time = typeof event.time === 'string' ? new Date(event.time) : undefined;
    if (time === undefined || Number.isNaN(time.getTime())) {
      throw new EventValidationError('scheduled event has no valid "time"');
    }
    if (previousHour(time).getTime() + HOUR_MS > now.getTime() + 5 * 60_000) {
      throw new EventValidationError('scheduled event "time" is in the future');
    }
    return { kind: 'scheduled', time };
  }

  const keys = Object.keys(event);
  if ('hours' in event) {
    if (keys.length !== 1) throw new EventValidationError('an "hours" event takes no other field');
    if (!Array.isArray(event.hours)) throw new EventValidationError('event field "hours" must be an array of hours');
    return manualHours(
      event.hours.map((h, i) => hourField(h, `hours[${i}]`)),
      now,
      limits,
    );
  }
  if ('from' in event || 'to' in event) {
    if (keys.some((k) => k !== 'from' && k !== 'to')) {
      throw new EventValidationError('a "from"/"to" event takes no other field');
    }
    const from = hourField(event.from, 'from');
    const to = hourField(event.to, 'to');
    if (to.getTime() <= from.getTime()) throw new EventValidationError('"to" must be after "from" (it is exclusive)');
    if ((to.getTime() - from.getTime()) / HOUR_MS > MAX_MANUAL_HOURS) {
      throw new EventValidationError(`"from"/"to" spans more than ${MAX_MANUAL_HOURS} hours`);
    }
    return manualHours(hoursBetween(from, to), now, limits);
  }
  throw new EventValidationError(
    'unrecognised event: expected an EventBridge scheduled event, {"hours": [...]} or {"from": ..., "to": ...}',
  );
}
