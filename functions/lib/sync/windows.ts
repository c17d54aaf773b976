import type { TimeWindow } from '../types';

/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;

/** The start of the UTC hour containing `instant`. */
export function floorHour(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / HOUR_MS) * HOUR_MS);
}

/** The half-open window `[hourStart, hourStart + 1h)`. */
export function hourWindow(hourStart: Date): TimeWindow {
  return { start: hourStart, end: new Date(hourStart.getTime() + HOUR_MS) };
}

/**
 * The hour a scheduled run archives: the whole hour before the event's time. Deriving it from the event,
 * not the wall clock, makes a delayed or retried invocation archive the same hour.
 */
export function previousHour(eventTime: Date): Date {
  return new Date(floorHour(eventTime).getTime() - HOUR_MS);
}

/** Whole hours from `from` (inclusive) to `to` (exclusive), oldest first. Both are floored to the hour. */
export function hoursBetween(from: Date, to: Date): Date[] {
  const hours: Date[] = [];
  for (let t = floorHour(from).getTime(); t < floorHour(to).getTime(); t += HOUR_MS) hours.push(new Date(t));
  return hours;
}

/** `2026-11-20T10` — how hours are written in events, logs and the CLI. */
export function formatHour(hour: Date): string {
  return hour.toISOString().slice(0, 13);
}

/**
 * The hours a scheduled run must archive for one stream, oldest first: every hour after the last archived
 * one up to and including `target` (the catch-up that heals an outage), at most `maxHours` of them.
 * With no state, it starts at `archiveStart` if set, else at `target`.
 */
export function planCatchUp(opts: {
  readonly lastArchived: Date | undefined;
  readonly target: Date;
  readonly archiveStart: Date | undefined;
  readonly maxHours: number;
}): Date[] {
  const first =
    opts.lastArchived !== undefined
      ? new Date(opts.lastArchived.getTime() + HOUR_MS)
      : (opts.archiveStart ?? opts.target);
  return hoursBetween(first, new Date(opts.target.getTime() + HOUR_MS)).slice(0, opts.maxHours);
}
