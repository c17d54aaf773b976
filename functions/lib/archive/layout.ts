/**
 * Where things live in the archive bucket. Every key the function writes is derived here, and the CDK
 * stack derives its IAM scopes and Glue location from the same names.
 *
 * ```
 * {prefix}/contacts/stream_id={id}/dt={YYYY-MM-DD}/hour={HH}/part-00000.jsonl.gz   data (Glue table location)
 * {prefix}/contacts/stream_id={id}/dt={YYYY-MM-DD}/hour={HH}/_manifest.json        manifest (Athena skips "_" files)
 * {prefix}/_staging/{runId}/...                                                  in-flight uploads, never queried
 * {prefix}/_state/stream_id={id}.json                                            last archived hour per stream
 * {prefix}/_checkpoints/stream_id={id}/dt={YYYY-MM-DD}/hour={HH}/...                 an hour continued across invocations
 * ```
 */
export const LAYOUT = Object.freeze({
  contacts: 'contacts',
  staging: '_staging',
  state: '_state',
  ledger: '_ledger',
  leases: '_leases',
  checkpoints: '_checkpoints',
  athenaResults: '_athena-results',
  manifestName: '_manifest.json',
});

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD` of a UTC instant. */
export function utcDate(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** `HH` of a UTC instant. */
export function utcHour(d: Date): string {
  return pad(d.getUTCHours());
}

/** Root of the Glue table: `{prefix}/contacts/`. */
export function contactsRoot(prefix: string): string {
  return `${prefix}/${LAYOUT.contacts}/`;
}

/** The partition folder of one stream and one hour window, with a trailing slash. */
export function partitionPrefix(prefix: string, streamId: string, windowStart: Date): string {
  return `${contactsRoot(prefix)}stream_id=${streamId}/dt=${utcDate(windowStart)}/hour=${utcHour(windowStart)}/`;
}

/** The manifest of one partition. */
export function manifestKey(prefix: string, streamId: string, windowStart: Date): string {
  return `${partitionPrefix(prefix, streamId, windowStart)}${LAYOUT.manifestName}`;
}

/** Name of the n-th data object of a window (0-based). */
export function partName(index: number): string {
  return `part-${pad(index, 5)}.jsonl.gz`;
}

/** Staging folder of one run and one window, with a trailing slash. */
export function stagingPrefix(prefix: string, runId: string, streamId: string, windowStart: Date): string {
  return `${prefix}/${LAYOUT.staging}/${runId}/stream_id=${streamId}/dt=${utcDate(windowStart)}/hour=${utcHour(windowStart)}/`;
}

/** Checkpoint objects of one stream-hour continued across invocations, with a trailing slash. */
export function checkpointPrefix(prefix: string, streamId: string, hour: Date): string {
  return `${prefix}/${LAYOUT.checkpoints}/stream_id=${streamId}/dt=${utcDate(hour)}/hour=${utcHour(hour)}/`;
}

/** The state object of one stream. */
export function stateKey(prefix: string, streamId: string): string {
  return `${prefix}/${LAYOUT.state}/stream_id=${streamId}.json`;
}

/**
 * Stream ids and run ids become S3 key segments (and appear unencoded in CopyObject sources), so they
 * are limited to a safe alphabet: a letter or digit, then letters, digits, ".", "_" or "-", at most 128.
 */
export const KEY_SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** True when `id` may be used as a stream id or run id in a key (see {@link KEY_SAFE_ID}). */
export function isKeySafeId(id: string): boolean {
  return KEY_SAFE_ID.test(id);
}
