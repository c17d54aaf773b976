/**
 * The simulator's contact store: lazy per-hour generation, cache eviction without changing answers,
 * added contacts and their ids.
 */
import { describe, expect, it } from 'vitest';
import { ContactStore, HOUR_MS } from '../../tools/kore-simulator/store';

const H = Date.UTC(2026, 4, 2, 10);
const everything = { includeBelowThreshold: true };
const ids = (cs: readonly { id: string }[]): string[] => cs.map((c) => c.id);

describe('ContactStore', () => {
  it('answers the same after an hour was evicted from the cache and regenerated', () => {
    const store = new ContactStore({ seed: 3, contactsPerHour: 15, edgeContacts: true, cacheBytes: 1 });
    const first = store.query('s', H, H + HOUR_MS, everything);
    store.query('s', H + HOUR_MS, H + 2 * HOUR_MS, everything);
    const again = store.query('s', H, H + HOUR_MS, everything);
    expect(again.map((c) => c.json.toString())).toEqual(first.map((c) => c.json.toString()));
    expect(first).toHaveLength(17);
  });

  it('keeps generated (variant 8) and added (variant a) ids apart and unique', () => {
    const store = new ContactStore({ seed: 3, contactsPerHour: 30, edgeContacts: true });
    const generated = store.query('s', H, H + HOUR_MS, everything);
    const added = store.add('s', store.spread('s', H, H + HOUR_MS, 10));
    for (const c of generated) expect(c.id).toMatch(/^c-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const c of added) expect(c.id).toMatch(/^c-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    const all = store.query('s', H, H + HOUR_MS, everything);
    expect(all).toHaveLength(42);
    expect(new Set(ids(all)).size).toBe(42);
    expect(ids(all.filter((c) => added.includes(c)))).toEqual(ids([...added].sort((a, b) => a.startMs - b.startMs || (a.id < b.id ? -1 : 1))));
  });

  it('spreads added start times over the half-open range', () => {
    const store = new ContactStore({ seed: 3, contactsPerHour: 0, edgeContacts: true });
    const times = store.spread('s', H, H + 1000, 1000);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(H);
    expect(Math.max(...times)).toBeLessThan(H + 1000);
    expect(store.spread('s', H, H, 5)).toEqual([]);
  });

  it('applies direction and custom field overrides to added contacts', () => {
    const store = new ContactStore({ seed: 3, contactsPerHour: 0, edgeContacts: true });
    store.add('s', [H + 5], { direction: 'outbound', customFields: { Region: 'ZZ' } });
    expect(store.query('s', H, H + HOUR_MS, { contactDirection: 'inbound' })).toEqual([]);
    const [c] = store.query('s', H, H + HOUR_MS, { contactDirection: 'outbound', customFields: { Region: 'ZZ' } });
    expect(JSON.parse(c?.json.toString() ?? '{}')).toMatchObject({ contactDirection: 'outbound', custom_fields: { Region: 'ZZ' } });
  });

  it.each([-1, 1.5, Number.NaN])('refuses contactsPerHour %s with an error naming the option', (n) => {
    const store = new ContactStore({ seed: 3, contactsPerHour: () => n, edgeContacts: true });
    expect(() => store.query('s', H, H + 1, everything)).toThrow(/contactsPerHour must be a whole number/);
  });
});

describe('ContactStore edits', () => {
  it('removes, duplicates and replaces; a removed contact is not found again', () => {
    const store = new ContactStore({ seed: 3, contactsPerHour: 10, edgeContacts: false });
    const [a, b] = store.query('s', H, H + HOUR_MS, everything);
    if (!a || !b) throw new Error('expected contacts');
    store.duplicate('s', b);
    expect(ids(store.query('s', H, H + HOUR_MS, everything)).filter((id) => id === b.id)).toHaveLength(2);
    expect(ids(store.remove('s', [a]))).toEqual([a.id]);
    expect(store.find('s', a.id)).toBeUndefined();
    const text = JSON.stringify({ ...JSON.parse(b.json.toString()), 'Audit Status': 'Audited' });
    store.replace('s', b, text);
    const after = store.query('s', H, H + HOUR_MS, everything);
    expect(after.filter((c) => c.id === b.id).map((c) => c.json.toString())).toEqual([text]);
    expect(after).toHaveLength(9);
  });

  it("queries on end time reach back into the previous hour and skip contacts without an end", () => {
    const store = new ContactStore({ seed: 3, contactsPerHour: 40, edgeContacts: false });
    const byEnd = store.query('s', H, H + HOUR_MS, everything, 'end');
    expect(byEnd.some((c) => c.startMs < H)).toBe(true);
    expect(byEnd.every((c) => c.endMs !== undefined && c.endMs >= H && c.endMs < H + HOUR_MS)).toBe(true);
  });
});
