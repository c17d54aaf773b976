/**
 * The `_manifest.json` written last into every committed partition. Its presence means "this hour was
 * archived and the partition holds exactly these objects"; `records: 0` means "archived, no contacts".
 */
import { z } from 'zod';
import { ArchiveError } from '../errors';
import { SCHEMA_VERSION } from './schema';

const isoInstant = z.iso.datetime({ offset: false });
const count = z.number().int().nonnegative();

/** One data object of a partition. */
export const ManifestObjectSchema = z.strictObject({
  /** Full S3 key of the object (…/part-00000.jsonl.gz). */
  key: z.string().min(1),
  records: count,
  /** Size of the stored (gzip) object in bytes. */
  bytes: count,
  /** Lower-case hex SHA-256 of the stored (gzip) bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
});

/** Schema of `_manifest.json`, version 1. Totals must agree with the object list. */
export const ManifestSchema = z
  .strictObject({
    manifestVersion: z.literal(1),
    schemaVersion: z.number().int().positive(),
    streamId: z.string().min(1),
    window: z.strictObject({ start: isoInstant, end: isoInstant }),
    partition: z.strictObject({
      dt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
      hour: z.string().regex(/^([01]\d|2[0-3])$/, 'must be 00-23'),
    }),
    runId: z.string().min(1),
    /** Records written (after de-duplication). */
    records: count,
    /** Rows dropped because their conversation_id was already written in this window. */
    duplicatesDropped: count,
    /** Records the normalizer flagged (kept, but something about them was off). */
    problems: count,
    /**
     * Records the API returned that the client did not pass on: a contact it had already received in this fetch
     * (the API repeated it across pages or verification passes), and a contact starting outside the window
     * (a contact at exactly the window's end belongs to, and is archived with, the next hour).
     */
    skipped: z.strictObject({ repeated: count, outsideWindow: count }),
    /** The API's `totalResults`, or null when no page reported it (e.g. an empty hour). */
    apiTotalResults: count.nullable(),
    pagesFetched: count,
    /** Sum of the objects' bytes. */
    bytes: count,
    objects: z.array(ManifestObjectSchema),
    startedAt: isoInstant,
    completedAt: isoInstant,
  })
  .superRefine((m, ctx) => {
    const records = m.objects.reduce((sum, o) => sum + o.records, 0);
    if (records !== m.records) {
      ctx.addIssue({ code: 'custom', path: ['records'], message: `is ${m.records} but the objects hold ${records}` });
    }
    const bytes = m.objects.reduce((sum, o) => sum + o.bytes, 0);
    if (bytes !== m.bytes) {
      ctx.addIssue({ code: 'custom', path: ['bytes'], message: `is ${m.bytes} but the objects hold ${bytes}` });
    }
    if (Date.parse(m.window.end) <= Date.parse(m.window.start)) {
      ctx.addIssue({ code: 'custom', path: ['window', 'end'], message: 'must be after window.start' });
    }
  });

/** A parsed, consistent manifest. */
export type Manifest = z.infer<typeof ManifestSchema>;
/** One entry of {@link Manifest.objects}. */
export type ManifestObject = z.infer<typeof ManifestObjectSchema>;

/** What {@link createManifest} needs; dates are converted to ISO strings. */
export interface ManifestInput {
  readonly streamId: string;
  readonly window: { readonly start: Date; readonly end: Date };
  readonly partition: { readonly dt: string; readonly hour: string };
  readonly runId: string;
  readonly duplicatesDropped: number;
  readonly problems: number;
  readonly skipped: { readonly repeated: number; readonly outsideWindow: number };
  readonly apiTotalResults: number | undefined;
  readonly pagesFetched: number;
  readonly objects: readonly ManifestObject[];
  readonly startedAt: Date;
  readonly completedAt: Date;
}

/** Builds a manifest, deriving the totals from the objects. Throws an {@link ArchiveError} if anything is out of range. */
export function createManifest(input: ManifestInput): Manifest {
  const candidate = {
    manifestVersion: 1,
    schemaVersion: SCHEMA_VERSION,
    streamId: input.streamId,
    window: { start: input.window.start.toISOString(), end: input.window.end.toISOString() },
    partition: { dt: input.partition.dt, hour: input.partition.hour },
    runId: input.runId,
    records: input.objects.reduce((sum, o) => sum + o.records, 0),
    duplicatesDropped: input.duplicatesDropped,
    problems: input.problems,
    skipped: { repeated: input.skipped.repeated, outsideWindow: input.skipped.outsideWindow },
    apiTotalResults: input.apiTotalResults ?? null,
    pagesFetched: input.pagesFetched,
    bytes: input.objects.reduce((sum, o) => sum + o.bytes, 0),
    objects: input.objects.map((o) => ({ key: o.key, records: o.records, bytes: o.bytes, sha256: o.sha256 })),
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ArchiveError(`${source} is not valid JSON`, { cause: error });
  }
  const result = ManifestSchema.safeParse(json);
  if (!result.success) {
    throw new ArchiveError(`${source} is not a valid manifest: ${describeIssues(result.error)}`, { cause: result.error });
  }
  return result.data;
}

/** `field.path message` of the first few issues; zod's issue text never echoes the value. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'} ${issue.message}`)
    .join('; ');
}
