import { describe, expect, it } from 'vitest';
import { DriftCollector } from '../../functions/lib/archive/drift';
import { normalizeContact } from '../../functions/lib/archive/normalize';
import type { RawContact } from '../../functions/lib/types';
import { buildContact, pickVariant } from '../../tools/kore-simulator/generator';
import { Rng } from '../../tools/kore-simulator/prng';
import { apiContact } from '../support/contacts';

describe('the simulator and the schema agree', () => {
  it('every simulated contact, of every variant, normalizes with no problem and no drift', () => {
    const rng = new Rng(20261203);
    const drift = new DriftCollector();
    const problems = new Set<string>();
    const variants = new Set<string>();
    const start = Date.parse('2026-11-20T10:00:00Z');
    for (let i = 0; i < 600; i++) {
      const variant = pickVariant(rng);
      variants.add(variant);
      const contact = buildContact(rng, { streamId: 'st-sim', conversationId: `c-sim-${i}`, startMs: start + i * 1000, variant });
      const result = normalizeContact(apiContact(contact as RawContact), {
        streamId: 'st-sim',
        window: { start: new Date(start), end: new Date(start + 3_600_000) },
        runId: 'run-sim',
        archivedAt: new Date(start + 3_700_000),
      });
      drift.add(result);
      for (const problem of result.problems) problems.add(problem.replace(/\[\d+\]/g, '[]'));
      expect(result.conversationId).toBe(`c-sim-${i}`);
    }
    expect(variants.size).toBe(4);
    expect([...problems]).toEqual([]);
    expect(drift.report()).toEqual({ unknownKeys: {}, typeMisfits: {} });
  });
});
