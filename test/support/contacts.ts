import type { ApiContact, RawContact } from '../../functions/lib/types';

/** A contact as the client would hand it on: the value and, unless given, its JSON text. */
export function apiContact(value: RawContact, text: string = JSON.stringify(value)): ApiContact {
  return { value, text };
}
