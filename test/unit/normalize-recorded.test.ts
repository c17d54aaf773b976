/**
 * The normalizer's output, recorded: every row (as the exact line the writer writes), every problem list and every
 * drift report for a fixed set of contacts, compared with what the normalizer produced when the recording was
 * made. A speed-up of the normalizer must leave all of it byte for byte the same.
 *
 * The contacts: the vendor samples and edge cases of test/fixtures, contacts of the simulator's generator (each
 * variant), and hostile variants of them (keys spelled another way, unknown keys at every level, values of the wrong
 * type, a loose spelling next to an exact one, lists where objects belong), through the plain normalizer, one with
 * aliases, and `rebuild`. Rows are recorded as SHA-256 digests so the recording stays small; the inputs are digested
 * too, so a change of the generator is told apart from a change of the normalizer.
 *
 * Re-record (only when the output is meant to change, e.g. a new schema version):
 * `RECORD_NORMALIZED_ROWS=1 npx vitest run test/unit/normalize-recorded.test.ts`
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseColumnAliases } from '../../functions/lib/archive/aliases';
import { createNormalizer, type IngestContext, type NormalizeResult } from '../../functions/lib/archive/normalize';
import type { RawContact } from '../../functions/lib/types';
import { buildContact, type ContactVariant } from '../../tools/kore-simulator/generator';
import { Rng } from '../../tools/kore-simulator/prng';
import { apiContact } from '../support/contacts';

const RECORDING = new URL('../fixtures/normalized-rows.json', import.meta.url);

const ctx: IngestContext = {
  streamId: 'st-rec',
  window: { start: new Date('2026-05-02T13:00:00Z'), end: new Date('2026-05-02T14:00:00Z') },
  runId: 'run-rec',
  archivedAt: new Date('2026-05-02T14:05:06.789Z'),
};

const sha = (text: string): string => createHash('sha256').update(text).digest('base64');

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

const VARIANTS: readonly ContactVariant[] = ['current', 'previous', 'below_threshold', 'duration_unavailable'];

function generated(n: number): RawContact[] {
  return Array.from({ length: n }, (_, i) =>
    buildContact(Rng.keyed('recorded-rows', i), {
      streamId: 'st-rec',
      conversationId: `c-rec-${i}`,
      startMs: Date.UTC(2026, 4, 2, 13) + i * 7_001,
      variant: VARIANTS[i % VARIANTS.length] as ContactVariant,
    }) as RawContact,
  );
}

const SPELLINGS: readonly ((key: string) => string)[] = [
  (k) => k.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
  (k) => k.toUpperCase(),
  (k) => k.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()),
  (k) => ` ${k} `,
];

/** A deterministic hostile rewrite of a contact: every kind of misfit and loose key the normalizer handles. */
function hostile(contact: RawContact, i: number): RawContact {
  const rng = Rng.keyed('recorded-hostile', i);
  const respell = SPELLINGS[i % SPELLINGS.length] as (key: string) => string;
  const visit = (value: unknown, depth: number): unknown => {
    if (Array.isArray(value)) {
      const items = value.map((v) => visit(v, depth + 1));
      if (rng.chance(0.1)) items.push(rng.chance(0.5) ? 'not an object' : [1, 2]);
      return items;
    }
    if (typeof value !== 'object' || value === null) {
      const r = rng.next();
      if (r < 0.04) return { wrapped: value };
      if (r < 0.08) return typeof value === 'number' ? `${value} ms` : typeof value === 'string' ? 12.5 : 'NA';
      if (r < 0.1) return typeof value === 'string' ? ` ${value.toUpperCase()} ` : value;
      return value;
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const r = rng.next();
      const spelled = r < 0.3 ? respell(key) : key;
      // A loose spelling next to the exact one (the exact key wins), or a null under the exact key.
      if (r > 0.95) out[respell(key)] = visit(v, depth + 1);
      Object.defineProperty(out, spelled, { value: r > 0.93 && r <= 0.95 ? null : visit(v, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    if (rng.chance(0.15)) out[`Unknown ${depth}`] = depth;
    if (rng.chance(0.05)) Object.defineProperty(out, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
    return out;
  };
  return visit(contact, 0) as RawContact;
}

interface Recorded {
  readonly input: string;
  readonly line: string;
  readonly problems: readonly string[];
  readonly drift: NormalizeResult['drift'];
}

function record(result: NormalizeResult, text: string): Recorded {
  return { input: sha(text), line: sha(JSON.stringify(result.row)), problems: result.problems, drift: result.drift };
}

/** Every case, by name: what the normalizer makes of it now. */
function outputs(): Record<string, Recorded> {
  const samples = [
    ...fixture<{ results: RawContact[] }>('rawdata-response-current.json').results,
    ...fixture<{ results: RawContact[] }>('rawdata-response-previous.json').results,
    ...Object.values(fixture<{ cases: Record<string, RawContact> }>('contacts-edge-cases.json').cases),
  ];
  const made = generated(24);
  const texts: [string, string][] = [
    ...samples.map((c, i): [string, string] => [`sample ${i}`, JSON.stringify(c)]),
    ...made.map((c, i): [string, string] => [`generated ${i}`, JSON.stringify(c)]),
    ...made.map((c, i): [string, string] => [`hostile ${i}`, JSON.stringify(hostile(c, i))]),
    ['not an object', '[1, 2]'],
    ['null', 'null'],
  ];
  const plain = createNormalizer();
  const aliased = createNormalizer({
    aliases: parseColumnAliases({ audit_status: ['Audit State'], 'agents.agent_id': ['Agent Key', 'Operator'], sentiment: 'MOOD' }, 'ALIASES'),
  });
  const out: Record<string, Recorded> = {};
  for (const [name, text] of texts) {
    const contact = apiContact(text);
    out[name] = record(plain.normalize(contact, ctx), text);
    out[`${name} (aliases)`] = record(aliased.normalize({ ...contact, value: { ...contact.value, 'Audit State': 'Audited', MOOD: 'calm' } }, ctx), text);
  }
  for (const [name, text] of texts.slice(0, 12)) {
    out[`${name} (rebuild)`] = record(plain.rebuild(apiContact(text), { archived_at: '2026-05-02 14:00:00.000', run_id: 'old-run', window_start: null }), text);
  }
  return out;
}

describe('the normalizer against its recorded output', () => {
  const actual = outputs();
  if (process.env.RECORD_NORMALIZED_ROWS === '1') writeFileSync(RECORDING, `${JSON.stringify(actual, null, 1)}\n`);
  const recorded = JSON.parse(readFileSync(RECORDING, 'utf8')) as Record<string, Recorded>;

  it('covers the same cases, on the same inputs', () => {
    expect(Object.keys(actual)).toEqual(Object.keys(recorded));
    const changedInputs = Object.keys(actual).filter((name) => actual[name]?.input !== recorded[name]?.input);
    // A changed input means the simulator's generator (or a fixture) changed, not the normalizer: re-record.
    expect(changedInputs, 'inputs changed since the recording; see the module comment to re-record').toEqual([]);
  });

  it('writes every line, problem and drift report exactly as recorded', () => {
    const differing = Object.keys(recorded).filter((name) => JSON.stringify(actual[name]) !== JSON.stringify(recorded[name]));
    expect(differing).toEqual([]);
  });

  it('records problems and drift (the hostile cases reach the slow paths)', () => {
    const all = Object.values(recorded);
    expect(all.filter((r) => r.problems.length > 0).length).toBeGreaterThan(20);
    expect(all.filter((r) => r.drift.unknownKeys.length > 0).length).toBeGreaterThan(20);
    expect(all.some((r) => r.problems.some((p) => /\[\d+\]/.test(p)))).toBe(true);
  });
});
