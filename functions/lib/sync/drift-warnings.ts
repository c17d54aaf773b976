/**
 * Drift of a window, told once: the metrics of every window, and a warning naming a key the schema does not map
 * the first time this process sees it for a stream (seeded with the keys the previous hour already reported).
 */
import { firstSeen, type DriftReport } from '../archive/drift';
import { METRICS } from '../metric-names';
import type { LogSink, MetricSink } from './archive-window';

/** Unknown keys already warned about, per stream, for the life of the process (warm invocations included). */
const SEEN_KEYS = new Map<string, Set<string>>();

/** The unknown keys already reported for the stream: seeded from the previous hour, kept for the process. */
export function knownKeys(stream: string, seed: readonly string[]): Set<string> {
  let seen = SEEN_KEYS.get(stream);
  if (seen === undefined) SEEN_KEYS.set(stream, (seen = new Set()));
  for (const key of seed) seen.add(key);
  return seen;
}

/** Counts a window's drift and warns about each unknown key not reported before. */
export function reportDrift(deps: { readonly metrics: MetricSink; readonly log: LogSink }, stream: string, hourLabel: string, report: DriftReport): void {
  const unknown = Object.keys(report.unknownKeys);
  deps.metrics.count(METRICS.unknownKeys, unknown.length);
  deps.metrics.count(METRICS.typeMisfits, Object.values(report.typeMisfits).reduce((a, b) => a + b, 0));
  for (const key of firstSeen(knownKeys(stream, []), unknown)) {
    deps.log.warn('the API sent a key the schema does not map: its values are only in raw (map it with ARCHIVE_COLUMN_ALIASES)', {
      streamId: stream,
      hour: hourLabel,
      key,
      contacts: report.unknownKeys[key],
    });
  }
}
