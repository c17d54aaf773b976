/**
 * Rewriting archived hours without the API. A reprocess rebuilds every typed column from `raw`: how a schema
 * change or a new column alias reaches history. A prune removes chosen conversation ids: the explicit way to
 * delete contacts (a data-protection request), since a refresh never does. Each hour is rewritten as one new
 * version of its partition (atomic, like any other version); the manifest counts a rebuild
 * (`reprocessCount`) or the removals (`changes.removed`) and keeps the fetch record of the version it rewrote.
 */
import { listKeys } from '../aws/s3-client';
import { DriftCollector } from '../archive/drift';
import { partitionPrefix } from '../archive/layout';
import type { ManifestReader } from '../archive/manifest-store';
import type { ContactNormalizer } from '../archive/normalize';
import { rebuildRow } from '../archive/reprocess';
import type { ArchiveWriter } from '../archive/writer';
import type { S3Client } from '@aws-sdk/client-s3';
import { formatHour, hourWindow } from './windows';
import type { LogSink } from './sync';

/** What one hour's rebuild did. */
export interface ReprocessOutcome {
  readonly streamId: string;
  readonly hour: string;
  /** `skipped`: the hour was never archived, so there is nothing to rewrite. */
  readonly status: 'rebuilt' | 'skipped' | 'failed';
  readonly records: number;
  /** Contacts removed (a prune). */
  readonly removed: number;
  /** Distinct keys the schema still does not map after the rebuild. */
  readonly unknownKeys: number;
  readonly error?: string;
}

/** Everything a rebuild needs, passed in so tests can use real S3 and fakes alike. */
export interface ReprocessDeps {
  readonly writer: Pick<ArchiveWriter, 'write'>;
  readonly manifests: ManifestReader;
  readonly normalizer: ContactNormalizer;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly runId: string;
  readonly now: () => Date;
  readonly log: LogSink;
  readonly onHour?: (outcome: ReprocessOutcome) => void;
}

/**
 * Rebuilds every archived hour of `streamIds` in `hours`, one partition at a time. An hour that was never
 * archived is skipped; an hour that fails is reported and the others go on.
 */
export async function reprocessHours(streamIds: readonly string[], hours: readonly Date[], deps: ReprocessDeps): Promise<ReprocessOutcome[]> {
  return rewriteHours(streamIds, hours, deps, undefined);
}

/**
 * Removes the contacts with the given conversation ids from every archived hour of `streamIds` in `hours`;
 * every other contact is kept byte for byte, its typed columns rebuilt with the current schema.
 */
export async function pruneHours(
  streamIds: readonly string[],
  hours: readonly Date[],
  conversationIds: ReadonlySet<string>,
  deps: ReprocessDeps,
): Promise<ReprocessOutcome[]> {
  return rewriteHours(streamIds, hours, deps, conversationIds);
}

async function rewriteHours(
  streamIds: readonly string[],
  hours: readonly Date[],
  deps: ReprocessDeps,
  prune: ReadonlySet<string> | undefined,
): Promise<ReprocessOutcome[]> {
  const outcomes: ReprocessOutcome[] = [];
  for (const streamId of streamIds) {
    for (const hour of hours) {
      const outcome = await rewriteHour(streamId, hour, deps, prune);
      outcomes.push(outcome);
      deps.onHour?.(outcome);
    }
  }
  return outcomes;
}

async function rewriteHour(streamId: string, hour: Date, deps: ReprocessDeps, prune: ReadonlySet<string> | undefined): Promise<ReprocessOutcome> {
  const label = formatHour(hour);
  const base = { streamId, hour: label, records: 0, removed: 0, unknownKeys: 0 };
  try {
    const previous = await deps.manifests.read(streamId, hour);
    // An older layout has no version 2 manifest but is still an archived hour: its data objects say so.
    if (previous === undefined) {
      const keys = await listKeys(deps.s3, deps.bucket, partitionPrefix(deps.prefix, streamId, hour));
      if (!keys.some((key) => key.endsWith('.jsonl.gz'))) return { ...base, status: 'skipped' };
    }
    const drift = new DriftCollector();
    const manifest = await deps.writer.write({ streamId, window: hourWindow(hour), runId: deps.runId }, empty(), {
      fetch: () => previous?.fetch ?? null,
      startedAt: deps.now(),
      reprocess: prune === undefined,
      rewrite: ({ line, row }) => {
        if (prune !== undefined && typeof row.conversation_id === 'string' && prune.has(row.conversation_id)) return undefined;
        const result = rebuildRow(line, { normalizer: deps.normalizer });
        drift.add(result);
        return JSON.stringify(result.row);
      },
      drift: () => drift.report(),
    });
    const outcome = {
      ...base,
      status: 'rebuilt' as const,
      records: manifest.records,
      removed: manifest.changes.removed,
      unknownKeys: Object.keys(manifest.drift.unknownKeys).length,
    };
    deps.log.info(prune === undefined ? 'hour rebuilt from raw' : 'contacts pruned from an hour', { ...outcome });
    return outcome;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    deps.log.error('rebuilding an hour failed; its previous version is unchanged', { streamId, hour: label, error: message });
    return { ...base, status: 'failed', error: message };
  }
}

async function* empty(): AsyncGenerator<never[]> {
  // A rebuild fetches nothing: every row comes from the previous version, through `rewrite`.
}
