import { describe, expect, it } from 'vitest';
import { EventValidationError } from '../../functions/lib/errors';
import { parseEvent } from '../../functions/lib/sync/events';
import { floorHour, hoursBetween, hourWindow, planCatchUp, previousHour } from '../../functions/lib/sync/windows';

const d = (iso: string): Date => new Date(iso);
const iso = (dates: readonly Date[]): string[] => dates.map((x) => x.toISOString());
const NOW = d('2026-11-21T12:34:56.789Z');

describe('time windows', () => {
  it('tiles time with half-open hours: HH:59:59.999 is inside, the next HH:00 is not', () => {
    const w = hourWindow(d('2026-11-20T10:00:00Z'));
    expect(w.end.toISOString()).toBe('2026-11-20T11:00:00.000Z');
    const inside = (t: Date): boolean => t >= w.start && t < w.end;
    expect(inside(d('2026-11-20T10:59:59.999Z'))).toBe(true);
    expect(inside(d('2026-11-20T11:00:00.000Z'))).toBe(false);
    expect(inside(hourWindow(w.end).start)).toBe(false);
  });

  it('archives the hour before the event time, however late the event runs', () => {
    expect(previousHour(d('2026-11-20T11:05:00Z')).toISOString()).toBe('2026-11-20T10:00:00.000Z');
    expect(previousHour(d('2026-11-20T11:59:59.999Z')).toISOString()).toBe('2026-11-20T10:00:00.000Z');
    expect(previousHour(d('2026-11-21T00:00:00Z')).toISOString()).toBe('2026-11-20T23:00:00.000Z');
    expect(floorHour(d('2026-11-20T10:59:59.999Z')).toISOString()).toBe('2026-11-20T10:00:00.000Z');
  });

  it('lists hours between two instants, end exclusive', () => {
    expect(iso(hoursBetween(d('2026-11-20T22:00Z'), d('2026-11-21T01:00Z')))).toEqual([
      '2026-11-20T22:00:00.000Z',
      '2026-11-20T23:00:00.000Z',
      '2026-11-21T00:00:00.000Z',
    ]);
    expect(hoursBetween(d('2026-11-20T22:00Z'), d('2026-11-20T22:00Z'))).toEqual([]);
  });

  it('plans the catch-up from the state, oldest first, capped', () => {
    const target = d('2026-11-20T10:00Z');
    expect(iso(planCatchUp({ lastArchived: d('2026-11-20T07:00Z'), target, archiveStart: undefined, maxHours: 24 }))).toEqual([
      '2026-11-20T08:00:00.000Z',
      '2026-11-20T09:00:00.000Z',
      '2026-11-20T10:00:00.000Z',
    ]);
    expect(iso(planCatchUp({ lastArchived: d('2026-11-20T01:00Z'), target, archiveStart: undefined, maxHours: 2 }))).toEqual([
      '2026-11-20T02:00:00.000Z',
      '2026-11-20T03:00:00.000Z',
    ]);
    expect(planCatchUp({ lastArchived: target, target, archiveStart: undefined, maxHours: 24 })).toEqual([]);
    expect(iso(planCatchUp({ lastArchived: undefined, target, archiveStart: undefined, maxHours: 24 }))).toEqual([
      '2026-11-20T10:00:00.000Z',
    ]);
    expect(planCatchUp({ lastArchived: undefined, target, archiveStart: d('2026-11-20T06:00Z'), maxHours: 24 })).toHaveLength(5);
  });
});

describe('parseEvent', () => {
  it('reads an EventBridge scheduled event (Rule or Scheduler)', () => {
    const event = { 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-11-21T12:05:00Z', detail: {} };
    expect(parseEvent(event, NOW)).toEqual({ kind: 'scheduled', time: d('2026-11-21T12:05:00Z') });
  });

  it('reads manual hours, sorted and deduplicated', () => {
    const request = parseEvent({ hours: ['2026-11-20T10', '2026-11-20T09', '2026-11-20T10'] }, NOW);
    expect(request.kind).toBe('manual');
    expect(request.kind === 'manual' && iso(request.hours)).toEqual(['2026-11-20T09:00:00.000Z', '2026-11-20T10:00:00.000Z']);
  });

  it('reads a from/to range with an exclusive end', () => {
    const request = parseEvent({ from: '2026-11-01T00', to: '2026-11-02T00' }, NOW);
    expect(request.kind === 'manual' && request.hours.length).toBe(24);
  });

  it('refuses manual hours before ARCHIVE_START, which Athena would never show', () => {
    const limits = { archiveStart: d('2026-11-01T00:00Z') };
    expect(() => parseEvent({ hours: ['2026-10-31T23'] }, NOW, limits)).toThrowError(/before ARCHIVE_START \(2026-11-01T00\)/);
    expect(() => parseEvent({ from: '2026-10-31T22', to: '2026-11-01T02' }, NOW, limits)).toThrowError(EventValidationError);
    expect(parseEvent({ hours: ['2026-11-01T00'] }, NOW, limits).kind).toBe('manual');
  });

  it.each([
    [null, 'JSON object'],
    [[], 'JSON object'],
    [{}, 'unrecognised event'],
    [{ hours: '2026-11-20T10' }, '"hours" must be an array'],
    [{ hours: [] }, 'no hour'],
    [{ hours: ['2026-11-20T10:30'] }, 'hours[0]'],
    [{ hours: ['2026-11-21T12'] }, 'has not ended yet'],
    [{ hours: ['2026-11-20T10'], dryRun: true }, 'no other field'],
    [{ from: '2026-11-02T00', to: '2026-11-01T00' }, '"to" must be after "from"'],
    [{ from: '2026-11-01T00' }, 'event field "to"'],
    [{ from: '2025-01-01T00', to: '2026-01-01T00' }, 'spans more than'],
    [{ 'detail-type': 'Scheduled Event', time: 'soon' }, 'no valid "time"'],
    [{ 'detail-type': 'Scheduled Event', time: '2026-11-22T12:00:00Z' }, 'in the future'],
  ])('rejects %j with a clear message', (event, message) => {
    expect(() => parseEvent(event, NOW)).toThrowError(EventValidationError);
    expect(() => parseEvent(event, NOW)).toThrowError(message);
  });
});
