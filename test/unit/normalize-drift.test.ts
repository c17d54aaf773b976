import { describe, expect, it } from 'vitest';
import { parseColumnAliases } from '../../functions/lib/archive/aliases';
import { createNormalizer, normalizeContact, type IngestContext, type NormalizeResult } from '../../functions/lib/archive/normalize';
import { apiContact } from '../support/contacts';

const ctx: IngestContext = {
  streamId: 'st-demo',
  window: { start: new Date('2026-05-02T13:00:00Z'), end: new Date('2026-05-02T14:00:00Z') },
  runId: 'run-0001',
  archivedAt: new Date('2026-05-02T14:05:06.789Z'),
};

function normalizeText(text: string): NormalizeResult {
  return normalizeContact(apiContact(text), ctx);
}

describe('raw is the contact exactly as the API sent it', () => {
  it('keeps the text byte for byte: spacing, escapes, integers beyond 2^53, __proto__ keys', () => {
    const text =
      '{ "Conversation ID" : "c-exact",\n  "big": 123456789012345678901234567890, "e": "caf\\u00e9",\n' +
      '  "__proto__": {"polluted": true}, "custom_fields": {"__proto__": "kept", "Region": "EU"} }';
    const { row, problems, drift } = normalizeText(text);
    expect(problems).toEqual([]);
    expect(row.raw).toBe(text);
    expect(row.conversation_id).toBe('c-exact');
    // The big integer survives in raw (the parsed value has already lost it).
    expect(row.raw).toContain('123456789012345678901234567890');
    // __proto__ in a free-form map is a key like any other: kept as an own key, written to the line.
    const fields = row.custom_fields as Record<string, unknown>;
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
    expect(JSON.parse(JSON.stringify(row.custom_fields))).toEqual(JSON.parse('{"__proto__": "kept", "Region": "EU"}'));
    expect(JSON.stringify(row)).toContain('"custom_fields":{"__proto__":"kept","Region":"EU"}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Unknown top-level keys are drift, __proto__ included; custom field keys are data and never drift.
    expect(drift.unknownKeys).toEqual(['big', 'e', '__proto__']);
  });

  it('never reads an inherited property as a key', () => {
    const { row, drift } = normalizeText('{"constructor": 1, "toString": "x"}');
    expect(row.conversation_id).toBeNull();
    expect(drift.unknownKeys).toEqual(['constructor', 'toString']);
  });
});

describe('drift: keys the schema does not map, columns whose values stopped fitting', () => {
  // A record shape the schema has never seen: renamed and misspelt keys, new nested fields.
  const unseen = JSON.stringify({
    conversationId: 'c-unseen',
    'Converstion Start Time': '2026-05-02T13:01:34Z',
    'Agent Sentiment': 'VALUE-calm',
    Agents: [{ agentId: 'a-1', 'Agent Mood': 'VALUE-calm' }, { agentId: 'a-2', 'Agent Mood': 'VALUE-tense', 'Agent Team': 'VALUE-t' }],
    Metrics: [{ 'Metric ID': 'm-1', 'Metric Colour': 'VALUE-red', justification: [{ anything: 1 }] }],
    'Sentiment Ratio': { positive: 50, neutral: 30, negative: 20, mixed: 0 },
    'Sentiment Pattern': { start: 'neutral', middle: 'happy', end: 'neutral' },
    'Customer emotions': [{ emotion: 'Happy', proportion: 50, intensity: 3 }],
    'Generated Intents': [{ intent: 'book', confidence: 0.5 }],
    Configured_Intents: {
      topics: [{ topic_name: 'Cards', level: 'L1', weight: 2, L2_topics: [{ topic_name: 'Lost', L3_topics: [{ topic_name: 'x', owner: 'y' }] }] }],
      total_topics_identified: 3,
      model: 'VALUE-v2',
    },
    custom_fields: { AnyKeyAtAll: 'VALUE-data' },
    vendorExperimentalField: { nested: 'VALUE-not descended into' },
  });

  it('archives the contact with raw intact and names every unmapped key once, as a path', () => {
    const { row, problems, drift } = normalizeText(unseen);
    expect(row.raw).toBe(unseen);
    expect(problems).toEqual([]);
    expect(row.conversation_id).toBe('c-unseen');
    expect(row.conversation_start_time).toBeNull();
    expect(row.configured_topics_total).toBe(3);
    expect(drift.typeMisfits).toEqual([]);
    expect([...drift.unknownKeys].sort()).toEqual(
      [
        'Converstion Start Time',
        'Agent Sentiment',
        'agents[].Agent Mood',
        'agents[].Agent Team',
        'metrics[].Metric Colour',
        'sentiment_ratio.mixed',
        'sentiment_pattern.middle',
        'customer_emotions[].intensity',
        'generated_intents[].confidence',
        'configured_intents.topics[].weight',
        'configured_intents.topics[].l2_topics[].l3_topics[].owner',
        'configured_intents.model',
        'vendorExperimentalField',
      ].sort(),
    );
    for (const key of drift.unknownKeys) expect(key).not.toMatch(/VALUE|AnyKeyAtAll|nested/);
  });

  it('counts each column with a misfit once, by its top-level name', () => {
    const { drift, problems } = normalizeText(
      JSON.stringify({
        Agents: [{ 'Agent Start Time': 'soon' }, { 'Agent Start Time': 'later', 'Empathy Score': 'high' }],
        'Fatal Errors': 1.5,
        Language: 'English',
      }),
    );
    expect(problems).toEqual([
      'fatal_errors: not a whole number',
      'agents[0].agent_start_time: not a valid timestamp',
      'agents[1].agent_start_time: not a valid timestamp',
      'agents[1].empathy_score: not a number',
    ]);
    expect(drift.typeMisfits).toEqual(['fatal_errors', 'agents']);
  });

  it('renders the index of every list level in a problem path', () => {
    const { problems } = normalizeText(
      JSON.stringify({
        'Generated Intents': [{ intent: 'a', keywords: ['k'] }, { topic: 'b', keywords: ['k', 'k', { no: 1 }] }],
        'Speaking Rate': [{ nWords: 1 }, { nWords: 'many' }],
      }),
    );
    expect(problems).toEqual(['speaking_rate[1].n_words: not a number', 'generated_intents[1].keywords[2]: not a string']);
  });

  it('matches loosely spelled keys, and prefers the exact spelling when both are present', () => {
    expect(normalizeText('{"conversation_id": "c-snake"}').row.conversation_id).toBe('c-snake');
    const both = normalizeText('{"conversation_id": "c-snake", "Conversation ID": "c-exact"}');
    expect(both.row.conversation_id).toBe('c-exact');
    expect(both.drift.unknownKeys).toEqual([]);
  });
});

describe('aliases: a renamed key typed again without a code change', () => {
  const renamed = JSON.stringify({
    'Conversation ID': 'c-renamed',
    'Audit State': 'Audited',
    Agents: [{ 'Agent Key': 'a-9', 'Agent Name': 'Ann' }],
  });

  it('without an alias the key is drift and the column null', () => {
    const { row, drift } = normalizeText(renamed);
    expect(row.audit_status).toBeNull();
    expect((row.agents as Record<string, unknown>[])[0]?.agent_id).toBeNull();
    expect(drift.unknownKeys).toEqual(['Audit State', 'agents[].Agent Key']);
  });

  it('with aliases for a column and a struct field the values are typed and no longer drift', () => {
    const aliases = parseColumnAliases('{"audit_status": ["Audit State"], "agents.agent_id": "Agent Key"}', 'ARCHIVE_COLUMN_ALIASES');
    const { row, drift, problems } = createNormalizer({ aliases }).normalize(apiContact(renamed), ctx);
    expect(problems).toEqual([]);
    expect(row.audit_status).toBe('Audited');
    expect((row.agents as Record<string, unknown>[])[0]).toMatchObject({ agent_id: 'a-9', agent_name: 'Ann' });
    expect(drift.unknownKeys).toEqual([]);
    expect(row.raw).toBe(renamed);
  });

  it('reads an alias only when none of the schema keys is present', () => {
    const aliases = parseColumnAliases({ audit_status: ['Audit State'] }, 'ARCHIVE_COLUMN_ALIASES');
    const normalizer = createNormalizer({ aliases });
    const { row } = normalizer.normalize(apiContact({ 'Audit State': 'from alias', 'Audit Status': 'from schema' }), ctx);
    expect(row.audit_status).toBe('from schema');
    // Matched like the schema's own keys: case and punctuation ignored.
    expect(normalizer.normalize(apiContact({ audit_state: 'snake' }), ctx).row.audit_status).toBe('snake');
  });
});

describe('values the vendor documents', () => {
  function scoreOf(contact: Record<string, unknown>): NormalizeResult {
    return normalizeContact(apiContact(contact), ctx);
  }

  it('duration_status is null, without a problem, for contacts ingested before the API had it', () => {
    for (const contact of [{}, { duration_status: null }, { durationStatus: null }]) {
      const { row, problems } = scoreOf(contact);
      expect(row.duration_status).toBeNull();
      expect(problems).toEqual([]);
    }
    expect(scoreOf({ duration_status: 'duration_unavailable' }).row.duration_status).toBe('duration_unavailable');
  });

  it('kore_evaluation_score is -100..100; NA and null (below-threshold contacts) are null; outside is a misfit', () => {
    expect(scoreOf({ 'Kore Evaluation Score': -100 }).row.kore_evaluation_score).toBe(-100);
    expect(scoreOf({ koreEvaluationScore: '-35' }).row).toMatchObject({ kore_evaluation_score: -35, kore_evaluation_score_raw: '-35' });
    expect(scoreOf({ 'Kore Evaluation Score': 100 }).row.kore_evaluation_score).toBe(100);
    const below = scoreOf({ duration_status: 'below_threshold', 'Kore Evaluation Score': null });
    expect(below.row).toMatchObject({ kore_evaluation_score: null, kore_evaluation_score_raw: null, duration_status: 'below_threshold' });
    expect(below.problems).toEqual([]);
    expect(scoreOf({ 'Kore Evaluation Score': 'NA' }).problems).toEqual([]);
    const outside = scoreOf({ 'Kore Evaluation Score': 150 });
    expect(outside.row).toMatchObject({ kore_evaluation_score: null, kore_evaluation_score_raw: '150' });
    expect(outside.problems).toEqual(['kore_evaluation_score: outside -100..100']);
    expect(outside.drift.typeMisfits).toEqual(['kore_evaluation_score']);
  });

  it('a metric qualification of "-" (and similar) is no value; YES, NO and NA are kept', () => {
    const metrics = ['-', ' -- ', '\u2014', 'YES', 'NO', 'NA'].map((q) => ({ 'Metric ID': 'm', Qualification: q }));
    const { row, problems } = scoreOf({ Metrics: metrics });
    expect(problems).toEqual([]);
    expect((row.metrics as Record<string, unknown>[]).map((m) => m.qualification)).toEqual([null, null, null, 'YES', 'NO', 'NA']);
  });
});
