/**
 * Validation of the raw-data request body, with the vendor's rules: dates `YYYY-MM-DD HH:mm:ss` (UTC),
 * both bounds inclusive, `offset` required, `limit` 1..maxLimit (default 10), `page` >= 1 (default 1).
 */
import type { Direction } from './generator';

/** A validated request. `startMs`/`endMs` are the given seconds with `.000`; both are inclusive. */
export interface RawDataQuery {
  readonly startMs: number;
  readonly endMs: number;
  readonly offset: number;
  readonly limit: number;
  readonly page: number;
  readonly includeBelowThreshold: boolean;
  readonly contactDirection: Direction | undefined;
  readonly customFields: Readonly<Record<string, unknown>> | undefined;
}

export type ParseResult = { readonly ok: true; readonly query: RawDataQuery } | { readonly ok: false; readonly message: string };

/** Longest window one request may ask for; keeps lazy generation bounded. */
export const MAX_WINDOW_DAYS = 31;

const DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Epoch ms of a `YYYY-MM-DD HH:mm:ss` UTC string, or `undefined` if malformed or not a real instant. */
export function parseKoreDate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March; the round trip catches it.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return ms;
}

/**
 * `YYYY-MM-DD HH:mm:ss` of an instant (milliseconds dropped), the format the API expects. Written apart from the
 * client's `formatApiDate` on purpose: the simulator stands in for the vendor, so a shared bug could not hide.
 */
export function formatKoreDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Validates a parsed JSON body; the message names the offending field. */
export function parseRawDataBody(body: unknown, maxLimit: number): ParseResult {
  const fail = (message: string): ParseResult => ({ ok: false, message });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('request body must be a JSON object');
  const b = body as Record<string, unknown>;

  if (b.startDate === undefined) return fail('startDate is required');
  const startMs = parseKoreDate(b.startDate);
  if (startMs === undefined) return fail('startDate must be a UTC date formatted YYYY-MM-DD HH:mm:ss');
  if (b.endDate === undefined) return fail('endDate is required');
  const endMs = parseKoreDate(b.endDate);
  if (endMs === undefined) return fail('endDate must be a UTC date formatted YYYY-MM-DD HH:mm:ss');
  if (endMs < startMs) return fail('endDate must not be before startDate');
  if (endMs - startMs > MAX_WINDOW_DAYS * 86_400_000) return fail(`endDate must be at most ${MAX_WINDOW_DAYS} days after startDate`);

  if (b.offset === undefined) return fail('offset is required');
  if (!isInt(b.offset) || b.offset < 0) return fail('offset must be an integer >= 0');

  const limit = b.limit ?? 10;
  if (!isInt(limit) || limit < 1 || limit > maxLimit) return fail(`limit must be an integer from 1 to ${maxLimit}`);
  const page = b.page ?? 1;
  if (!isInt(page) || page < 1) return fail('page must be an integer >= 1');

  const includeBelowThreshold = b.include_below_threshold ?? false;
  if (typeof includeBelowThreshold !== 'boolean') return fail('include_below_threshold must be a boolean');

  const direction = b.contact_direction;
  if (direction !== undefined && direction !== 'inbound' && direction !== 'outbound') {
    return fail('contact_direction must be "inbound" or "outbound"');
  }
  const customFields = b.custom_fields;
  if (customFields !== undefined && (typeof customFields !== 'object' || customFields === null || Array.isArray(customFields))) {
    return fail('custom_fields must be an object');
  }

  return {
    ok: true,
    query: {
      startMs,
      endMs,
      offset: b.offset,
      limit,
      page,
      includeBelowThreshold,
      contactDirection: direction,
      customFields: customFields as Record<string, unknown> | undefined,
    },
  };
}
