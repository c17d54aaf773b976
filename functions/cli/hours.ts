/**
 * The hours a `sync` command line asks for, checked in the CLI's own words (its flags), before the same
 * checks the Lambda applies to its events.
 */
import { parseHour } from '../lib/config';
import { MAX_MANUAL_HOURS, parseEvent, type EventLimits, type SyncRequest } from '../lib/sync/events';
import { HOUR_MS } from '../lib/sync/windows';
import { UsageError } from './io';

/** The hour flags of `sync`. */
export interface HourFlags {
  readonly hour?: readonly string[];
  readonly from?: string;
  readonly to?: string;
}

function hourFlag(flag: string, value: string): Date {
  const hour = parseHour(value);
  if (hour === undefined) throw new UsageError(`${flag} ${value} is not an hour: write it in UTC as YYYY-MM-DDTHH, e.g. 2026-11-20T10`);
  return hour;
}

/**
 * The request the flags describe: no flag is a scheduled run at `now`; `--hour` (repeatable) or
 * `--from`/`--to` a manual one.
 *
 * @throws {UsageError} naming the flag and the fix
 */
export function requestFromFlags(flags: HourFlags, now: Date, limits: EventLimits): SyncRequest {
  if (flags.hour !== undefined && (flags.from !== undefined || flags.to !== undefined)) {
    throw new UsageError('use either --hour or --from/--to, not both');
  }
  if (flags.hour !== undefined) {
    const hours = flags.hour.map((h) => hourFlag('--hour', h));
    if (hours.length > MAX_MANUAL_HOURS) throw new UsageError(`${hours.length} --hour flags: at most ${MAX_MANUAL_HOURS} hours per run`);
    return parseEvent({ hours: flags.hour }, now, limits);
  }
  if (flags.from !== undefined || flags.to !== undefined) {
    if (flags.from === undefined || flags.to === undefined) throw new UsageError('--from and --to go together');
    const from = hourFlag('--from', flags.from);
    const to = hourFlag('--to', flags.to);
    if (to.getTime() <= from.getTime()) {
      throw new UsageError(`--to ${flags.to} must be after --from ${flags.from} (--to is exclusive: --from 2026-11-20T10 --to 2026-11-20T11 is one hour)`);
    }
    const span = (to.getTime() - from.getTime()) / HOUR_MS;
    if (span > MAX_MANUAL_HOURS) {
      throw new UsageError(
        `--from/--to span ${span} hours; one run archives at most ${MAX_MANUAL_HOURS} (31 days): split the range, e.g. by month`,
      );
    }
    return parseEvent({ from: flags.from, to: flags.to }, now, limits);
  }
  return { kind: 'scheduled', time: now };
}
