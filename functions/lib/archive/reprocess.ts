/**
 * Rebuilding archived rows from their `raw` text, with no API request: how a schema change or a new
 * alias reaches the hours already archived. Every typed column is derived again from `raw` with the
 * current schema and aliases; the ingestion columns (archived_at, window_start, window_end, run_id) stay as
 * they were, and `schema_version` names the schema the row is now derived with. Pure: the caller reads a
 * partition's lines and writes the rebuilt lines back (atomically, per partition).
 */
import { StoredRowError } from '../errors';
import type { RawContact } from '../types';
import type { ContactNormalizer, NormalizeResult } from './normalize';
import { isPlainObject } from './source-keys';

/** What a rebuild needs: the normalizer compiled with the current schema and aliases. */
export interface RebuildContext {
  readonly normalizer: ContactNormalizer;
}

/**
 * Rebuilds one stored JSON line (one archive row). The result's `row` is the new line's content
 * (`JSON.stringify(result.row)`), its `drift` what the contact still carries that the schema does not take.
 *
 * @throws {StoredRowError} when the line is not a JSON object with the contact's JSON text in `raw`
 *   (the message names the problem, never the line's content)
 */
export function rebuildRow(line: string, ctx: RebuildContext): NormalizeResult {
  let stored: unknown;
  try {
    stored = JSON.parse(line);
  } catch (error) {
    throw new StoredRowError('an archived line is not valid JSON; it cannot be rebuilt', { cause: error });
  }
  if (!isPlainObject(stored)) throw new StoredRowError('an archived line is not a JSON object; it cannot be rebuilt');
  const text = stored.raw;
  if (typeof text !== 'string') throw new StoredRowError('an archived line has no raw contact text; it cannot be rebuilt');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StoredRowError('the raw text of an archived line is not valid JSON; it cannot be rebuilt', { cause: error });
  }
  // A raw value that is not an object is kept and reported by the normalizer, as on the first archiving.
  return ctx.normalizer.rebuild({ value: value as RawContact, text }, stored);
}
