/**
 * How the archive tells contacts apart: by conversation id, else by a digest of the API's exact text. The
 * writer deduplicates and merges by it, and a continued hour's checkpoint keeps it for the rows written so far.
 */
import { createHash } from 'node:crypto';

/** A row as the writer sees it: plain JSON data with `conversation_id` and `raw` columns. */
type Row = Readonly<Record<string, unknown>>;

/** The identity a contact is merged by: its conversation id, else a digest of its raw text. */
export function rowKey(row: Row): string {
  const id = row.conversation_id;
  if (typeof id === 'string' && id !== '') return `id:${id}`;
  return `raw:${rawDigest(row)}`;
}

/** Digest of a row's `raw` column (the API's exact text), to tell an updated contact from an unchanged one. */
export function rawDigest(row: Row): string {
  const raw = typeof row.raw === 'string' ? row.raw : JSON.stringify(row);
  return createHash('sha1').update(raw).digest('base64');
}
