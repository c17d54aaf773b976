import { describe, expect, it } from 'vitest';
import { BoundaryTracker, type Neighbours } from '../../functions/lib/sync/boundary';

const HOUR = new Date('2026-11-20T10:00:00.000Z');
const contact = (id: string, start: string) => {
  const text = JSON.stringify({ 'Conversation ID': id, 'Conversation Start Time': start });
  return { value: JSON.parse(text) as Record<string, unknown>, text };
};
const row = (id: string, start: string) => ({ conversation_id: id, conversation_start_time: start });
const neighbours = (o: Partial<Neighbours> = {}): Neighbours => ({ fromPrevious: [], nextFirstSecond: undefined, keptByPrevious: new Set(), previousUnknownKeys: [], ...o });

describe('BoundaryTracker', () => {
  it('keeps a next-hour contact the archived next hour lacks, and names it so the next hour leaves it here', () => {
    const tracker = new BoundaryTracker(HOUR, neighbours({ nextFirstSecond: new Set(['c-other']) }));
    const late = contact('c-late', '2026-11-20T11:00:00.000Z');
    expect(tracker.keepOrPass([late, contact('c-other', '2026-11-20T11:00:00.400Z')])).toEqual([late]);
    tracker.noteRow(row('c-late', '2026-11-20 11:00:00.000'));
    expect(tracker.edge()).toMatchObject({ keptHere: 1, keptHereIds: ['c-late'], nextHour: [{ conversationId: 'c-other' }] });
  });

  it('names contacts kept here by an earlier version, and counts retained rows among the first-second ids', () => {
    const tracker = new BoundaryTracker(HOUR, neighbours());
    tracker.noteRetained(row('c-kept-before', '2026-11-20 11:00:00.000'));
    tracker.noteRetained(row('c-first', '2026-11-20 10:00:00.250'));
    tracker.noteRetained(row('c-middle', '2026-11-20 10:30:00.000'));
    expect(tracker.edge()).toMatchObject({ firstSecond: ['c-first'], keptHereIds: ['c-kept-before'], keptHere: 0 });
  });

  it('leaves to the previous hour the fetched contacts it keeps, and counts them', () => {
    const tracker = new BoundaryTracker(HOUR, neighbours({ keptByPrevious: new Set(['c-late']) }));
    const own = contact('c-own', '2026-11-20T10:00:00.500Z');
    expect(tracker.own([contact('c-late', '2026-11-20T10:00:00.000Z'), own])).toEqual([own]);
    expect(tracker.edge()).toMatchObject({ leftToPrevious: 1 });
  });

  it("recovers only the previous hour's contacts this fetch lacked, and remembers only those it returned", () => {
    const handedOver = [contact('c-returned', '2026-11-20T10:00:00.100Z'), contact('c-lacked', '2026-11-20T10:00:00.200Z')];
    const tracker = new BoundaryTracker(HOUR, neighbours({ fromPrevious: handedOver }));
    tracker.noteRow(row('c-returned', '2026-11-20 10:00:00.100'));
    for (let i = 0; i < 50; i++) tracker.noteRow(row(`c-${i}`, '2026-11-20 10:30:00.000'));
    expect(tracker.missingFromPrevious().map((c) => c.value['Conversation ID'])).toEqual(['c-lacked']);
    expect(tracker.edge()).toMatchObject({ recovered: 1 });
    // The state carried to a continued invocation does not grow with the hour.
    expect(tracker.snapshot().fetched).toEqual(['c-returned']);
  });

  it('carries its whole state to a continued invocation: restored from its JSON, it reports the same edge', () => {
    const handedOver = [contact('c-returned', '2026-11-20T10:00:00.100Z'), contact('c-lacked', '2026-11-20T10:00:00.200Z')];
    const o = neighbours({ fromPrevious: handedOver, nextFirstSecond: new Set(['c-other']) });
    const first = new BoundaryTracker(HOUR, o);
    first.noteRow(row('c-returned', '2026-11-20 10:00:00.100'));
    first.keepOrPass([contact('c-late', '2026-11-20T11:00:00.000Z'), contact('c-other', '2026-11-20T11:00:00.400Z')]);
    first.noteRow(row('c-late', '2026-11-20 11:00:00.000'));
    const second = new BoundaryTracker(HOUR, o);
    second.restore(JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<BoundaryTracker['snapshot']>);
    expect(second.missingFromPrevious().map((c) => c.value['Conversation ID'])).toEqual(['c-lacked']);
    first.missingFromPrevious();
    expect(second.edge()).toEqual(first.edge());
  });
});
