/**
 * Date handling of the raw-data API: request bounds are UTC `YYYY-MM-DD HH:mm:ss` (second precision,
 * inclusive on both ends); contact start times come back as ISO-8601 strings.
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats an instant as the API's `YYYY-MM-DD HH:mm:ss` in UTC. Milliseconds are cut off (not rounded),
 * so the bound never moves past the instant.
 */
export function formatApiDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('formatApiDate: invalid date');
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

// ISO-8601 date-time, optional fraction, optional zone. The API documents its times as UTC, so a
// time without a zone is read as UTC (JavaScript would otherwise read it as local time).
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses a contact timestamp: an ISO-8601 string (zone optional, UTC assumed) or epoch milliseconds.
 * Returns undefined for anything else, including impossible dates like February 30.
 */
export function parseApiTimestamp(value: unknown): Date | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && Math.abs(value) <= 8.64e15 ? new Date(value) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = m as unknown as [string, string, string, string, string, string, string?, string?, string?];
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (!zm) return undefined;
    const [, sign, zh, zmin] = zm as unknown as [string, string, string, string];
    if (Number(zh) > 23 || Number(zmin) > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zmin));
  }
  return new Date(utc - offsetMinutes * 60_000);
}
