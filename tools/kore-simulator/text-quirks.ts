/**
 * JSON text a `JSON.stringify` of a JavaScript value cannot produce, but a vendor's serializer can:
 * integers beyond 2^53, numbers formatted as `1.50` or `7e1`, and a `__proto__` key. A client that
 * parses and re-serializes a contact loses them; one that keeps the exact text does not.
 *
 * Contacts are built as plain objects; a number that must keep its spelling is stored as a marker
 * string ({@link rawNumber}) and {@link serializeContact} splices the literal text in its place.
 */
import type { Rng } from './prng';
import type { RawContactLike } from './types';

const MARKER = /"@@raw-number:([-+.eE0-9]+)@@"/g;
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

/** A placeholder that {@link serializeContact} turns into exactly `text`, unquoted. `text` must be a JSON number. */
export function rawNumber(text: string): string {
  if (!JSON_NUMBER.test(text)) throw new RangeError(`rawNumber: ${text} is not a JSON number`);
  return `@@raw-number:${text}@@`;
}

/** The JSON text of a contact, with every {@link rawNumber} placeholder replaced by its literal. */
export function serializeContact(contact: RawContactLike): string {
  return JSON.stringify(contact).replace(MARKER, (_m, text: string) => text);
}

/** Key of the big integer id the quirks add at the top level of a contact. */
export const BIG_ID_KEY = 'sourceRecordId';
/** Value of the `__proto__` custom field the quirks add. */
export const PROTO_FIELD_VALUE = 'shadowed';

/**
 * Rewrites a contact in place so its text carries every quirk:
 * - `sourceRecordId`: a 20-digit integer (beyond 2^53, so a JavaScript number cannot hold it);
 * - `Sentiment Score` (when a number) with two decimals and a trailing zero, e.g. `1.50`;
 * - `Pass Score` in exponent form, e.g. `7e1` (value unchanged);
 * - `custom_fields.__proto__` as an own key, next to the usual fields (current-shape contacts only).
 */
export function applyTextQuirks(rng: Rng, contact: RawContactLike): void {
  let digits = String(rng.int(1, 9));
  while (digits.length < 20) digits += String(rng.int(0, 9));
  contact[BIG_ID_KEY] = rawNumber(digits);

  if (typeof contact['Sentiment Score'] === 'number') {
    // One decimal, printed with two: always a trailing zero the parsed value does not show.
    contact['Sentiment Score'] = rawNumber((Math.round(contact['Sentiment Score'] * 10) / 10).toFixed(2));
  }
  const pass = contact['Pass Score'];
  if (typeof pass === 'number' && Number.isInteger(pass) && pass > 0 && pass % 10 === 0) {
    contact['Pass Score'] = rawNumber(`${pass / 10}e1`);
  }
  if ('contactDirection' in contact) {
    const fields = (contact.custom_fields as Record<string, unknown> | undefined) ?? {};
    // Assignment would set the prototype; defineProperty makes it an own key, which JSON.stringify writes.
    Object.defineProperty(fields, '__proto__', { value: PROTO_FIELD_VALUE, enumerable: true, writable: true, configurable: true });
    contact.custom_fields = fields;
  }
}
