import { createHash } from 'node:crypto';
import type { ApiContact, RawContact } from '../types';
import { parseApiTimestamp } from './dates';

/**
 * Forms already computed. Every contact repeats the same few dozen keys, and a lookup costs far less than the
 * lower-casing and the regular expression; bounded, so a vendor sending data as keys cannot grow it without end.
 */
const FORMS = new Map<string, string>();
const MAX_REMEMBERED_FORMS = 4096;

/**
 * The form keys are matched in: lower case, letters and digits only. The API's samples spell keys with spaces
 * ("Conversation ID"), its field table in camelCase (conversationId); both, and snake_case, are one field. The
 * normalizer matches every column's source keys the same way, so the client and the archive agree on a contact's id.
 */
export function keyForm(key: string): string {
  let form = FORMS.get(key);
  if (form === undefined) {
    form = key.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (FORMS.size < MAX_REMEMBERED_FORMS) FORMS.set(key, form);
  }
  return form;
}

/** The value of the first key of `record` whose {@link keyForm} is `form` (null and absent are the same). */
function field(record: RawContact, form: string): unknown {
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value !== undefined && value !== null && keyForm(key) === form) return value;
  }
  return undefined;
}

/** The contact's conversation id, or undefined when it has none (or it is not a non-empty string). */
export function conversationIdOf(record: RawContact): string | undefined {
  const value = field(record, 'conversationid');
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** When the conversation started, or undefined when the record has no parsable start time. */
export function conversationStartOf(record: RawContact): Date | undefined {
  const value = field(record, 'conversationstarttime');
  return value === undefined ? undefined : parseApiTimestamp(value);
}

/**
 * The key a contact is deduplicated by: its conversation id, or for a record without one a hash of
 * its exact text (so identical id-less records returned twice by overlapping pages count once).
 */
export function recordKey(contact: ApiContact): string {
  const id = conversationIdOf(contact.value);
  if (id !== undefined) return `id:${id}`;
  return `sha256:${createHash('sha256').update(contact.text).digest('hex')}`;
}
