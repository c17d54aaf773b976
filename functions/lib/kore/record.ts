import { createHash } from 'node:crypto';
import type { RawContact } from '../types';
import { parseApiTimestamp } from './dates';

// The API's sample responses use spaced keys ("Conversation ID"); its field table names them in
// camelCase (conversationId). Both are read so a change of spelling does not break deduplication.
const ID_KEYS = ['Conversation ID', 'conversationId'] as const;
const START_KEYS = ['Conversation Start Time', 'conversationStartTime'] as const;

/** The contact's conversation id, or undefined when it has none (or it is not a non-empty string). */
export function conversationIdOf(record: RawContact): string | undefined {
  for (const key of ID_KEYS) {
    const value = record[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** When the conversation started, or undefined when the record has no parsable start time. */
export function conversationStartOf(record: RawContact): Date | undefined {
  for (const key of START_KEYS) {
    if (record[key] !== undefined && record[key] !== null) return parseApiTimestamp(record[key]);
  }
  return undefined;
}

/**
 * The key a contact is deduplicated by: its conversation id, or for a record without one a hash of
 * its JSON (so identical id-less records returned twice by overlapping pages count once).
 */
export function recordKey(record: RawContact): string {
  const id = conversationIdOf(record);
  if (id !== undefined) return `id:${id}`;
  return `sha256:${createHash('sha256').update(JSON.stringify(record)).digest('hex')}`;
}
