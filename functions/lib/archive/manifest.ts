/**
 * The `_manifest.json` written after each version of a partition. It describes the version whose data object
 * has the ETag it names; `records: 0` with no object means "archived, no contacts". A reader that finds a
 * data object with another ETag caught a write between its two steps and knows the manifest is the older one.
 */
import * as z from 'zod/mini';
import { ArchiveError } from '../errors';
import { describeIssues } from '../validation';
import { SCHEMA_VERSION } from './schema';

const isoInstant = z.iso.datetime({ offset: false });
const count = z.number().check(z.int(), z.gte(0));

/** The partition's data object: one per version, replaced in one step. */
export const ManifestObjectSchema = z.strictObject({
  /** Full S3 key of the object (…/part-00000.jsonl.gz). */
  key: z.string().check(z.minLength(1)),
  /** The object's ETag as S3 answered it: a reader compares it with the object's to know they belong together. */
  etag: z.string().check(z.minLength(1)),
  /** The object's version id in a versioned bucket, else null. */
  versionId: z.nullable(z.string().check(z.minLength(1))),
  records: count,
  /** Size of the stored (gzip) object in bytes. */
  bytes: count,
  /** Lower-case hex SHA-256 of the stored (gzip) bytes. */
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits')),
});

/** How the contacts of this version relate to the previous version of the hour. */
const ChangesSchema = z.strictObject({
  /** Contacts the previous version did not have. */
  added: count,
  /** Contacts the API answered differently from the previous version (newer evaluation, late audit, …). */
  updated: count,
  /** Contacts the API answered exactly as archived before. */
  unchanged: count,
  /** Contacts the previous version had that this fetch did not return: kept, never deleted by a refresh. */
  retained: count,
  /** Contacts removed on purpose (a prune, or a re-archive told to replace). */
  removed: count,
});

/**
 * The hour's boundary seconds. The API's bounds are inclusive and second-precise, so a contact starting in the
 * next hour's first second comes back for this hour too; it is left to the next hour, which should return it.
 * Whether it does is checked, whichever hour is archived first, so nothing is lost if the start bound is not
 * inclusive after all.
 */
const EdgeSchema = z.strictObject({
  /** Conversation ids of this hour's contacts that started in its first second. */
  firstSecond: z.array(z.string()),
  /** Contacts returned for this hour that started in the next hour's first second, exactly as sent, until the next hour is checked. */
  nextHour: z.array(z.strictObject({ conversationId: z.nullable(z.string()), raw: z.string() })),
  /** Contacts of the previous hour's `nextHour` list that this hour's fetch lacked, added here. */
  recovered: count,
  /** Contacts of the next hour's first second that the (already archived) next hour lacks, kept here. */
  keptHere: count,
  /** Conversation ids of the `keptHere` contacts (this hour and its earlier versions): the next hour leaves them here. */
  keptHereIds: z.optional(z.array(z.string())),
  /** Contacts of this hour's first second that its fetch returned but the previous hour keeps (its `keptHereIds`): left there. */
  leftToPrevious: z.optional(count),
});

/** What the API did while the hour was fetched; null for versions made without the API (prune, reprocess). */
const FetchSchema = z.strictObject({
  /** `pages`: plain paging was trusted; `slices`: the result moved, the hour was read as one-page time slices. */
  method: z.enum(['pages', 'slices']),
  /** Requests spent on this hour (retries not counted). */
  requests: count,
  /** The largest `totalResults` the API announced for the whole hour, or null. */
  apiTotalResults: z.nullable(count),
  /** Why plain paging was not trusted. */
  signs: z.array(z.string()),
  /** Returned records not added: already received in this fetch, or left to the next hour (see the README). */
  skipped: z.strictObject({ repeated: count, nextWindow: count }),
  /** Contacts kept although their own start time lies outside the hour: the API filtered on something else. */
  unexpectedOutsideWindow: count,
  /** Contacts the normalizer flagged (kept, with null columns). */
  problems: count,
  edge: EdgeSchema,
  /** Present when the hour was fetched across several invocations (see docs/ledger.md, Continuation). */
  continued: z.optional(
    z.strictObject({
      /** Invocations that fetched part of the hour, the final one included. */
      invocations: z.number().check(z.int(), z.gte(2)),
      /** When the first of them began. */
      since: isoInstant,
    }),
  ),
});

/** Schema of `_manifest.json`, version 2. */
export const ManifestSchema = z
  .strictObject({
    manifestVersion: z.literal(2),
    schemaVersion: z.number().check(z.int(), z.gt(0)),
    streamId: z.string().check(z.minLength(1)),
    window: z.strictObject({ start: isoInstant, end: isoInstant }),
    partition: z.strictObject({
      dt: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')),
      hour: z.string().check(z.regex(/^([01]\d|2[0-3])$/, 'must be 00-23')),
    }),
    runId: z.string().check(z.minLength(1)),
    /** Contacts in the data object. */
    records: count,
    /** The data object, or null for an hour without contacts. */
    object: z.nullable(ManifestObjectSchema),
    /** How many versions of this hour were written, this one included. */
    archiveCount: z.number().check(z.int(), z.gt(0)),
    /** How many of those versions were rebuilt from `raw` (reprocess) rather than fetched. */
    reprocessCount: count,
    /** What the contacts of this version carry that the schema does not take (see docs/schema.md). */
    drift: z.strictObject({
      /** Keys the schema does not map (paths, never values), with how many contacts carried each. */
      unknownKeys: z.record(z.string(), count),
      /** Mapped columns whose value did not fit the column type (nulled), with how many contacts. */
      typeMisfits: z.record(z.string(), count),
    }),
    changes: ChangesSchema,
    /** Rows of this fetch dropped because their conversation id was already written in it. */
    duplicatesDropped: count,
    fetch: z.nullable(FetchSchema),
    startedAt: isoInstant,
    completedAt: isoInstant,
  })
  .check(
    z.superRefine((m, ctx) => {
      if ((m.object?.records ?? 0) !== m.records) {
        ctx.addIssue({ code: 'custom', path: ['records'], message: `is ${m.records} but the object holds ${m.object?.records ?? 0}` });
      }
      if (Date.parse(m.window.end) <= Date.parse(m.window.start)) {
        ctx.addIssue({ code: 'custom', path: ['window', 'end'], message: 'must be after window.start' });
      }
    }),
  );

/** A parsed, consistent manifest. */
export type Manifest = z.infer<typeof ManifestSchema>;
/** {@link Manifest.object}. */
export type ManifestObject = z.infer<typeof ManifestObjectSchema>;
/** {@link Manifest.fetch}. */
export type ManifestFetch = z.infer<typeof FetchSchema>;
/** {@link ManifestFetch.edge}. */
export type ManifestEdge = z.infer<typeof EdgeSchema>;
/** {@link Manifest.changes}. */
export type ManifestChanges = z.infer<typeof ChangesSchema>;

/** What {@link createManifest} needs; dates are converted to ISO strings, the schema version added. */
export type ManifestInput = Omit<Manifest, 'manifestVersion' | 'schemaVersion' | 'window' | 'startedAt' | 'completedAt' | 'records'> & {
  readonly window: { readonly start: Date; readonly end: Date };
  readonly startedAt: Date;
  readonly completedAt: Date;
};

/** Builds a manifest. Throws an {@link ArchiveError} if anything is out of range. */
export function createManifest(input: ManifestInput): Manifest {
  const candidate = {
    manifestVersion: 2,
    schemaVersion: SCHEMA_VERSION,
    ...input,
    window: { start: input.window.start.toISOString(), end: input.window.end.toISOString() },
    records: input.object?.records ?? 0,
    startedAt: input.startedAt.toISOString(),
    completedAt: input.completedAt.toISOString(),
  };
  const result = ManifestSchema.safeParse(candidate);
  if (!result.success) {
    throw new ArchiveError(`invalid manifest for stream ${input.streamId}: ${describeIssues(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

/** The manifest as stored: pretty JSON (people read these), newline-terminated. Validates first. */
export function serializeManifest(manifest: Manifest): string {
  const result = ManifestSchema.safeParse(manifest);
  if (!result.success) {
    throw new ArchiveError(`refusing to write an invalid manifest: ${describeIssues(result.error)}`, { cause: result.error });
  }
  return `${JSON.stringify(result.data, null, 2)}\n`;
}

/**
 * Parses a stored manifest. Throws an {@link ArchiveError} naming `source` (the S3 key or file it came
 * from) and the first offending field when the text is not JSON or not a valid manifest.
 */
export function parseManifest(text: string, source: string): Manifest {
  const result = ManifestSchema.safeParse(parseJson(text, source));
  if (!result.success) {
    throw new ArchiveError(`${source} is not a valid manifest: ${describeIssues(result.error)}`, { cause: result.error });
  }
  return result.data;
}

/**
 * The version counters of the manifest at `source`: a version 1 manifest (written before the counters existed)
 * counts as one version, none rebuilt. Only these fields are read, so an older layout still counts.
 */
export function countersOf(text: string, source: string): { archiveCount: number; reprocessCount: number } {
  const json = parseJson(text, source) as { manifestVersion?: unknown; archiveCount?: unknown; reprocessCount?: unknown };
  if (json.manifestVersion === 1) return { archiveCount: 1, reprocessCount: 0 };
  const { archiveCount, reprocessCount } = json;
  if (typeof archiveCount !== 'number' || !Number.isSafeInteger(archiveCount) || archiveCount < 1) {
    throw new ArchiveError(`${source} is not a valid manifest: archiveCount must be a positive integer`);
  }
  if (typeof reprocessCount !== 'number' || !Number.isSafeInteger(reprocessCount) || reprocessCount < 0) {
    throw new ArchiveError(`${source} is not a valid manifest: reprocessCount must be a non-negative integer`);
  }
  return { archiveCount, reprocessCount };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ArchiveError(`${source} is not valid JSON`, { cause: error });
  }
}
