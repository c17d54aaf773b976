import { describe, expect, it } from 'vitest';
import { DriftCollector, MAX_UNKNOWN_KEYS, MORE_KEYS, firstSeen, type ContactDrift } from '../../functions/lib/archive/drift';
import { normalizeContact } from '../../functions/lib/archive/normalize';
import { apiContact } from '../support/contacts';

function result(unknownKeys: string[], typeMisfits: string[] = []): { drift: ContactDrift } {
  return { drift: { unknownKeys, typeMisfits } };
}

describe('DriftCollector', () => {
  it('counts contacts per unknown key and per misfit column, keys sorted', () => {
    const drift = new DriftCollector();
    drift.add(result(['b', 'agents[].Foo Bar'], ['fatal_errors']));
    drift.add(result(['b'], ['fatal_errors', 'agents']));
    drift.add(result([]));
    const report = drift.report();
    expect(report).toEqual({ unknownKeys: { 'agents[].Foo Bar': 1, b: 2 }, typeMisfits: { agents: 1, fatal_errors: 2 } });
    expect(Object.keys(report.unknownKeys)).toEqual(['agents[].Foo Bar', 'b']);
  });

  it('reports nothing for a window without drift, and counts a __proto__ key as a key', () => {
    expect(new DriftCollector().report()).toEqual({ unknownKeys: {}, typeMisfits: {} });
    const drift = new DriftCollector();
    drift.add(result(['__proto__']));
    const report = drift.report();
    expect(Object.hasOwn(report.unknownKeys, '__proto__')).toBe(true);
    expect(JSON.stringify(report)).toBe('{"unknownKeys":{"__proto__":1},"typeMisfits":{}}');
  });

  it(`names at most ${MAX_UNKNOWN_KEYS} keys and counts the contacts with more`, () => {
    const drift = new DriftCollector();
    drift.add(result(Array.from({ length: MAX_UNKNOWN_KEYS }, (_, i) => `k${i}`)));
    drift.add(result(['k0', 'extra-1', 'extra-2']));
    const { unknownKeys } = drift.report();
    expect(Object.keys(unknownKeys)).toHaveLength(MAX_UNKNOWN_KEYS + 1);
    expect(unknownKeys.k0).toBe(2);
    expect(unknownKeys[MORE_KEYS]).toBe(1);
    expect(unknownKeys['extra-1']).toBeUndefined();
  });

  it('aggregates what the normalizer reports', () => {
    const drift = new DriftCollector();
    for (const contact of [{ 'Fatal Errors': 'many', Novel: 1 }, { Novel: 2 }]) {
      drift.add(
        normalizeContact(apiContact(contact), {
          streamId: 's',
          window: { start: new Date(0), end: new Date(3_600_000) },
          runId: 'r',
          archivedAt: new Date(0),
        }),
      );
    }
    expect(drift.report()).toEqual({ unknownKeys: { Novel: 2 }, typeMisfits: { fatal_errors: 1 } });
  });
});

describe('firstSeen', () => {
  it('returns the keys not seen before, once each, and remembers them', () => {
    const seen = new Set(['known']);
    expect(firstSeen(seen, ['known', 'new', 'new', 'other'])).toEqual(['new', 'other']);
    expect(firstSeen(seen, ['new', 'other'])).toEqual([]);
    expect([...seen]).toEqual(['known', 'new', 'other']);
  });
});
