import { ENV, parseHour } from '../functions/lib/config';
import { HOUR_MS } from '../functions/lib/sync/windows';

/** The function's default of `ARCHIVE_MAX_CATCHUP_HOURS` (hours per stream per hourly run). */
const DEFAULT_CATCH_UP_HOURS = 24;

/** Below this backlog a deploy needs no warning: the hourly runs catch it up within a day. */
const QUIET_BACKLOG_HOURS = 48;

/**
 * A warning for synth and deploy when `archiveStart` lies so far back that the hourly catch-up would take
 * days: how many hours, how many runs, and the way to get history faster. Undefined when there is nothing
 * to warn about (no archiveStart: the archive starts at the first run and history comes by backfill).
 */
export function backlogWarning(archiveStart: string | undefined, settings: Readonly<Record<string, string>>, now: Date): string | undefined {
  const start = archiveStart === undefined ? undefined : parseHour(archiveStart);
  if (start === undefined) return undefined;
  const hours = Math.floor((now.getTime() - start.getTime()) / HOUR_MS);
  if (hours <= QUIET_BACKLOG_HOURS) return undefined;
  const perRun = Number(settings[ENV.maxCatchUpHours] ?? DEFAULT_CATCH_UP_HOURS);
  const runs = Math.ceil(hours / perRun);
  return (
    `kore-qa-archive.archiveStart ${archiveStart} is ${hours} hours ago: the hourly runs will catch up at most ${perRun} hours ` +
    `per stream per run, about ${runs} runs (${Math.ceil(runs / 24)} days) with the hours-behind alarm up meanwhile. ` +
    'To start from now instead, set archiveStart to null and archive history with the backfill command (docs/operations.md).'
  );
}
