import type { SyncSummary } from './sync';

/** A stream that a scheduled run left behind: closed hours it has never archived. */
export interface StreamBacklog {
  readonly streamId: string;
  readonly hoursBehind: number;
}

/** How history arrives when the hourly catch-up is too slow (shown with every backlog). */
export const HISTORY_ADVICE =
  'hours further back arrive faster by backfill: kore-qa-archive backfill --from H --to H (docs/operations.md, "History")';

/**
 * The streams a scheduled run left behind (empty for manual runs, or when every stream is current), so a
 * first run over a long backlog states how far behind each stream is instead of looking finished.
 */
export function backlogOf(summary: Pick<SyncSummary, 'kind' | 'hoursBehind'>): StreamBacklog[] {
  if (summary.kind !== 'scheduled') return [];
  return Object.entries(summary.hoursBehind)
    .filter(([, hours]) => hours > 0)
    .map(([streamId, hoursBehind]) => ({ streamId, hoursBehind }));
}
