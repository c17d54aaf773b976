import type { ApiContact, RawContact } from '../../functions/lib/types';

/**
 * A contact as the client yields it. From text: parsed, the text kept exactly. From a value: its JSON is the
 * text (what the API sends for the samples, minus their indentation).
 */
export function apiContact(input: string | RawContact): ApiContact {
  if (typeof input === 'string') return { value: JSON.parse(input) as RawContact, text: input };
  return { value: input, text: JSON.stringify(input) };
}
