/**
 * What `kore-qa-archive status` shows, computed from the ledger (pure): per stream and UTC day a row of
 * 24 cells, one per hour, and a summary line per stream. Rendered as text for a terminal (one character
 * per hour, distinct without colour, coloured when asked) or as JSON for scripts.
 */
import { utcDate } from '../archive/layout';
import { HOUR_MS, formatHour, previousHour } from '../sync/windows';
import { dueRefreshAt, refreshState, type LedgerEntry } from './entry';
import { streamStart } from './head';
import { streamBacklog, type PlanPolicy, type StreamBacklog, type StreamView } from './planner';

/** The state of one stream-hour as the grid shows it. */
export type HourCell = 'refreshed' | 'archived' | 'pending' | 'failed' | 'quarantined' | 'missing' | 'outside' | 'open';

/** One stream's status over a range of days. */
export interface StreamStatus {
  readonly streamId: string;
  /** False when the stream has no ledger yet (never run since the ledger was introduced). */
  readonly hasLedger: boolean;
  readonly backlog: StreamBacklog;
  readonly days: readonly { readonly date: string; readonly hours: readonly HourCell[] }[];
}

const DAY_MS = 24 * HOUR_MS;

/** Symbol, colour (ANSI SGR) and meaning of each cell, in legend order. */
export const CELLS: Readonly<Record<HourCell, { readonly symbol: string; readonly color: string; readonly meaning: string }>> = Object.freeze({
  refreshed: { symbol: '#', color: '32', meaning: 'refreshed (late data picked up)' },
  archived: { symbol: '+', color: '36', meaning: 'archived' },
  pending: { symbol: '~', color: '33', meaning: 'pending (refresh due, backfill, or continuing)' },
  failed: { symbol: 'x', color: '31', meaning: 'failed (retried after a backoff)' },
  quarantined: { symbol: '!', color: '1;35', meaning: 'quarantined (retried daily)' },
  missing: { symbol: '.', color: '1;33', meaning: 'missing (never archived)' },
  outside: { symbol: ' ', color: '0', meaning: 'outside the archive' },
  open: { symbol: ' ', color: '0', meaning: 'not closed yet' },
});

function hourCell(t: number, entry: LedgerEntry | undefined, ctx: { start: number; settledBefore: number | undefined; newest: number; policy: PlanPolicy; now: Date }): HourCell {
  if (t > ctx.newest) return 'open';
  if (entry === undefined) {
    if (t < ctx.start) return 'outside';
    return ctx.settledBefore !== undefined && t < ctx.settledBefore ? 'refreshed' : 'missing';
  }
  if (entry.status === 'quarantined' || (entry.status === 'failed' && entry.attempts >= ctx.policy.maxAttempts)) return 'quarantined';
  if (entry.status === 'failed') return 'failed';
  if (entry.status === 'pending' || dueRefreshAt(entry, ctx.policy.refreshLagHours, ctx.now) !== undefined) return 'pending';
  return refreshState(entry.hour, entry.lastSuccessAt, ctx.policy.refreshLagHours).done.length > 0 ? 'refreshed' : 'archived';
}

/**
 * A stream's status for the days from `range.from` up to `range.to` (whole UTC days). `view.entries`
 * must cover the range and everything from the stream's read watermark on (for the backlog). A
 * `preview` is a view of a ledger not created yet (migrated in memory from the old progress marker).
 */
export function streamStatus(
  view: StreamView,
  policy: PlanPolicy,
  range: { readonly from: Date; readonly to: Date },
  now: Date,
  o: { readonly preview?: boolean } = {},
): StreamStatus {
  const newest = previousHour(now).getTime();
  const ctx = {
    start: (streamStart(view.head, policy.archiveStart) ?? new Date(newest)).getTime(),
    settledBefore: view.head?.settledBefore?.getTime(),
    newest,
    policy,
    now,
  };
  const days: { date: string; hours: HourCell[] }[] = [];
  for (let day = Math.floor(range.from.getTime() / DAY_MS) * DAY_MS; day < range.to.getTime(); day += DAY_MS) {
    const hours = Array.from({ length: 24 }, (_, h) => day + h * HOUR_MS).map((t) => hourCell(t, view.entries.get(t), ctx));
    days.push({ date: utcDate(new Date(day)), hours });
  }
  return { streamId: view.streamId, hasLedger: view.head !== undefined && o.preview !== true, backlog: streamBacklog(view, policy, now), days };
}

/** The summary line of one stream: hours behind, refreshes, failures, next refresh due, last error. */
export function summaryLine(status: StreamStatus): string {
  const b = status.backlog;
  const parts = [`${b.hoursBehind} ${b.hoursBehind === 1 ? 'hour' : 'hours'} behind`];
  if (b.refreshesDue > 0) parts.push(`${b.refreshesDue} refreshes due${b.refreshesOverdue > 0 ? ` (${b.refreshesOverdue} overdue)` : ''}`);
  if (b.failed > 0) parts.push(`${b.failed} failed`);
  if (b.quarantined > 0) parts.push(`${b.quarantined} quarantined`);
  if (b.backfillPending > 0) parts.push(`${b.backfillPending} backfill ${b.backfillPending === 1 ? 'hour' : 'hours'} pending`);
  if (b.nextRefreshDueAt !== undefined) parts.push(`next refresh due ${formatHour(b.nextRefreshDueAt)}`);
  if (b.unknownKeys.length > 0) {
    const shown = b.unknownKeys.slice(0, 3).map((k) => `"${k}"`).join(', ');
    parts.push(`drift: ${b.unknownKeys.length} unmapped ${b.unknownKeys.length === 1 ? 'key' : 'keys'} (${shown}${b.unknownKeys.length > 3 ? ', …' : ''})`);
  }
  if (b.lastError !== undefined) parts.push(`last error (${formatHour(b.lastError.hour)}): ${b.lastError.name}: ${b.lastError.message}`);
  if (!status.hasLedger) parts.push('no ledger yet: shown as the next sync will create it from the old progress marker, if any');
  return `${status.streamId}: ${parts.join(', ')}`;
}

/** The text report: per stream a summary line and a grid of days × hours, then a legend. */
export function renderStatus(statuses: readonly StreamStatus[], o: { readonly color: boolean; readonly now: Date }): string[] {
  const paint = (cell: HourCell): string => {
    const { symbol, color } = CELLS[cell];
    return o.color && symbol !== ' ' ? `\u001b[${color}m${symbol}\u001b[0m` : symbol;
  };
  const lines = [`kore-qa-archive status at ${o.now.toISOString().slice(0, 16)}Z (hours in UTC)`];
  for (const status of statuses) {
    lines.push('', summaryLine(status), `${' '.repeat(12)}00     06     12     18`);
    for (const day of status.days) {
      const groups = [0, 6, 12, 18].map((h) => day.hours.slice(h, h + 6).map(paint).join(''));
      lines.push(`${day.date}  ${groups.join(' ')}`.trimEnd());
    }
  }
  const legend = (['refreshed', 'archived', 'pending', 'failed', 'quarantined', 'missing'] as const).map((c) => `${paint(c)} ${CELLS[c].meaning}`);
  lines.push('', `legend: ${legend.join('  ')}; blank: outside the archive or not closed yet`);
  return lines;
}

/** The JSON report, for scripts: dates as ISO strings, cells as words. */
export function statusJson(statuses: readonly StreamStatus[], now: Date): unknown {
  const iso = (d: Date | undefined): string | null => d?.toISOString() ?? null;
  return {
    generatedAt: now.toISOString(),
    streams: statuses.map((s) => ({
      streamId: s.streamId,
      hasLedger: s.hasLedger,
      summary: {
        hoursBehind: s.backlog.hoursBehind,
        refreshesDue: s.backlog.refreshesDue,
        refreshesOverdue: s.backlog.refreshesOverdue,
        failed: s.backlog.failed,
        quarantined: s.backlog.quarantined,
        backfillPending: s.backlog.backfillPending,
        nextRefreshDueAt: iso(s.backlog.nextRefreshDueAt),
        requestsPerContact: s.backlog.requestsPerContact ?? null,
        unknownKeys: s.backlog.unknownKeys,
        lastError:
          s.backlog.lastError === undefined
            ? null
            : { hour: iso(s.backlog.lastError.hour), at: iso(s.backlog.lastError.at), name: s.backlog.lastError.name, message: s.backlog.lastError.message },
      },
      days: s.days,
    })),
  };
}
