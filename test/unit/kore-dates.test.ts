import { describe, expect, it } from 'vitest';
import { formatApiDate, parseApiTimestamp } from '../../functions/lib/kore/dates';

describe('formatApiDate', () => {
  it('formats UTC as YYYY-MM-DD HH:mm:ss', () => {
    expect(formatApiDate(new Date('2026-03-23T10:17:54Z'))).toBe('2026-03-23 10:17:54');
    expect(formatApiDate(new Date('2026-01-02T03:04:05Z'))).toBe('2026-01-02 03:04:05');
  });

  it('cuts milliseconds off instead of rounding up', () => {
    expect(formatApiDate(new Date('2026-03-23T10:59:59.999Z'))).toBe('2026-03-23 10:59:59');
  });

  it('is UTC whatever the offset the date was written with', () => {
    expect(formatApiDate(new Date('2026-03-23T23:30:00-02:00'))).toBe('2026-03-24 01:30:00');
  });

  it('refuses an invalid date', () => {
    expect(() => formatApiDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('parseApiTimestamp', () => {
  it.each([
    ['2026-05-02T13:01:34.000Z', '2026-05-02T13:01:34.000Z'],
    ['2026-03-23T10:18:43.396Z', '2026-03-23T10:18:43.396Z'],
    ['2026-03-23T10:18:43Z', '2026-03-23T10:18:43.000Z'],
    ['2026-03-23T10:18:43.3964567Z', '2026-03-23T10:18:43.396Z'],
    ['2026-03-23T10:18:43.5+02:00', '2026-03-23T08:18:43.500Z'],
    ['2026-03-23T10:18:43-0130', '2026-03-23T11:48:43.000Z'],
    // No zone: the API's times are UTC, not the machine's local time.
    ['2026-03-23T10:18:43', '2026-03-23T10:18:43.000Z'],
    ['2026-03-23 10:18:43', '2026-03-23T10:18:43.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseApiTimestamp(text)?.toISOString()).toBe(iso);
  });

  it('reads epoch milliseconds', () => {
    expect(parseApiTimestamp(1777726914000)?.toISOString()).toBe('2026-05-02T13:01:54.000Z');
  });

  it.each([[''], ['yesterday'], ['2026-02-30T10:00:00Z'], ['2026-13-01T00:00:00Z'], ['2026-01-01T24:00:00Z'], ['2026-01-01T10:00:00+25:00'], [null], [undefined], [{}], [Number.NaN], [1e20]])(
    'returns undefined for %s',
    (value) => {
      expect(parseApiTimestamp(value)).toBeUndefined();
    },
  );
});
