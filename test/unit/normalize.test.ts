import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeContact, type IngestContext, type NormalizeResult } from '../../functions/lib/archive/normalize';
import { COLUMNS, COLUMN_SPECS, TIMESTAMP_FORMAT } from '../../functions/lib/archive/schema';
import type { RawContact } from '../../functions/lib/types';
import { apiContact } from '../support/contacts';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

const current = fixture<{ results: RawContact[] }>('rawdata-response-current.json').results;
const previous = fixture<{ results: RawContact[] }>('rawdata-response-previous.json').results;
const edge = fixture<{ cases: Record<string, RawContact> }>('contacts-edge-cases.json').cases;

function edgeCase(name: string): RawContact {
  const contact = edge[name];
  if (contact === undefined) throw new Error(`no edge case ${name}`);
  return contact;
}

const ctx: IngestContext = {
  streamId: 'st-demo',
  window: { start: new Date('2026-05-02T13:00:00Z'), end: new Date('2026-05-02T14:00:00Z') },
  runId: 'run-0001',
  archivedAt: new Date('2026-05-02T14:05:06.789Z'),
};

const API_COLUMNS = COLUMN_SPECS.filter((c) => c.origin === 'api').map((c) => c.name);

function normalize(raw: RawContact): NormalizeResult {
  return normalizeContact(apiContact(raw), ctx);
}

/** Fails on anything JSON.stringify would not write faithfully (Date, BigInt, undefined, NaN, functions). */
function assertPlainJson(value: unknown, path = 'row'): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    expect(Number.isFinite(value), path).toBe(true);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertPlainJson(v, `${path}[${i}]`));
    return;
  }
  expect(typeof value, path).toBe('object');
  expect(Object.getPrototypeOf(value), path).toBe(Object.prototype);
  for (const [k, v] of Object.entries(value as object)) assertPlainJson(v, `${path}.${k}`);
}

/** Every timestamp value of a row, at any depth, by walking the schema's DSL types. */
function timestampsOf(row: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  const walk = (type: (typeof COLUMN_SPECS)[number]['type'], value: unknown): void => {
    if (value === null) return;
    if (type.kind === 'timestamp') out.push(value as string);
    else if (type.kind === 'array') (value as unknown[]).forEach((v) => walk(type.element, v));
    else if (type.kind === 'struct') for (const f of type.fields) walk(f.type, (value as Record<string, unknown>)[f.name]);
  };
  for (const spec of COLUMN_SPECS) walk(spec.type, row[spec.name]);
  return out;
}

describe('normalizeContact on the API samples', () => {
  const samples = [...current, ...previous];

  it.each(samples.map((raw, i) => [i, raw] as const))('sample %i keeps raw exactly and fits every column', (_i, raw) => {
    const { row, problems, conversationId } = normalize(raw);
    expect(problems).toEqual([]);
    expect(Object.keys(row)).toEqual(COLUMNS.map((c) => c.name));
    expect(JSON.parse(row.raw as string)).toEqual(raw);
    expect(row.raw).toBe(JSON.stringify(raw));
    expect(conversationId).toBe(raw['Conversation ID']);
    assertPlainJson(row);
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
    for (const ts of timestampsOf(row)) expect(ts).toMatch(TIMESTAMP_FORMAT.pattern);
  });

  it('types the current sample into its columns', () => {
    const raw = current[0];
    if (!raw) throw new Error('sample missing');
    const { row } = normalize(raw);
    expect(row).toMatchObject({
      conversation_id: 'c-de2dd02c********30590459421',
      custom_conversation_id: 'UATMa2c********0A4',
      src: 'rtm',
      contact_direction: 'inbound',
      conversation_start_time: '2026-05-02 13:01:34.000',
      conversation_end_time: '2026-05-02 13:03:13.000',
      language: 'English',
      duration_ms: 99000,
      duration_status: 'evaluated',
      sentiment_score: 1.78,
      kore_evaluation_score: 35,
      kore_evaluation_score_raw: '35',
      is_churn_risk_observed: false,
      is_escalation_observed: false,
      fatal_errors: 0,
      emotions: ['Happy', 'Neutral'],
      taxonomy_resolution: 'YES',
      audit_status: 'Unassigned',
      audit_date: null,
      auditor_name: null,
      pass_score: 40,
      is_passed: false,
      evaluation_form_name: 'Dyn Batching EV',
      evaluation_form_scoring_type: 'percentage',
      queues: [{ queue_id: 'qu-321bc8a2c********1d', queue_name: 'Expressq11' }],
      agents: [
        {
          agent_id: 'a-6470432c********688',
          agent_name: 'satya admin',
          agent_email: 'john.doe@example.com',
          agent_start_time: '2026-05-02 13:01:34.000',
          empathy_score: 0,
        },
      ],
      speaking_rate: [],
      sentiment_pattern: { at_start: 'neutral', at_end: 'neutral' },
      sentiment_ratio: { positive: 28, neutral: 50, negative: 22 },
      customer_emotions: [
        { emotion: 'Happy', duration: 0, proportion: 56.25 },
        { emotion: 'Confusion', duration: 0, proportion: 37.5 },
        { emotion: 'Sadness', duration: 0, proportion: 6.25 },
      ],
      custom_fields: {
        Duration_minutes: '7',
        CallType: 'CLINumber',
        AccountStatus: 'Has AccountID',
        ActionName: 'Tel Cust - Right Party Contact',
        DurationBucket: '8-9 mins',
        Region: 'US',
      },
      configured_topics_total: 10,
      archived_at: '2026-05-02 14:05:06.789',
      window_start: '2026-05-02 13:00:00.000',
      window_end: '2026-05-02 14:00:00.000',
      run_id: 'run-0001',
      schema_version: 1,
    });
  });

  it('flattens configured intents to one entry per deepest path', () => {
    const raw = current[0];
    if (!raw) throw new Error('sample missing');
    const base = { l3_topic: null, l3_confidence: null, l3_sentiment: null, l3_resolution: null };
    expect(normalize(raw).row.configured_intents).toEqual([
      { l1_topic: 'Problem Solving', l1_confidence: 0.9, l2_topic: 'I Have a Question', l2_confidence: 0.85, ...base },
      {
        l1_topic: 'Online/Mobile Banking',
        l1_confidence: 0.9,
        l2_topic: 'Reset Online or Mobile Banking Passcode',
        l2_confidence: 0.9,
        ...base,
      },
      {
        l1_topic: 'Core Banking Inquiry',
        l1_confidence: 0.95,
        l2_topic: 'Account Details',
        l2_confidence: 0.9,
        l3_topic: 'Get Interest Rate on Account',
        l3_confidence: 0.95,
        l3_sentiment: 8,
        l3_resolution: 1,
      },
      {
        l1_topic: 'Core Banking Inquiry',
        l1_confidence: 0.95,
        l2_topic: 'Account Details',
        l2_confidence: 0.9,
        l3_topic: 'Get Fees on Account',
        l3_confidence: 0.85,
        l3_sentiment: 7,
        l3_resolution: 1,
      },
      {
        l1_topic: 'Core Banking Inquiry',
        l1_confidence: 0.95,
        l2_topic: 'Balances',
        l2_confidence: 0.9,
        l3_topic: 'Balance for Withdrawal',
        l3_confidence: 0.9,
        l3_sentiment: 8,
        l3_resolution: 1,
      },
    ]);
  });

  it('keeps an L1 topic without children as one entry (edge case)', () => {
    const rows = normalize(edgeCase('documented-camel-case-voice')).row.configured_intents as Record<string, unknown>[];
    expect(rows[0]).toEqual({
      l1_topic: 'Cards',
      l1_confidence: 0.8,
      l2_topic: null,
      l2_confidence: null,
      l3_topic: null,
      l3_confidence: null,
      l3_sentiment: null,
      l3_resolution: null,
    });
  });

  it('keeps every metric justification as JSON that parses back to the original entries', () => {
    for (const raw of samples) {
      const metrics = normalize(raw).row.metrics as Record<string, unknown>[];
      const original = raw.Metrics as Record<string, unknown>[];
      expect(metrics).toHaveLength(original.length);
      metrics.forEach((metric, i) => {
        expect(JSON.parse(metric.justification_json as string)).toEqual(original[i]?.justification);
        expect(JSON.parse(metric.trigger_justification_json as string)).toEqual(original[i]?.triggerJustification);
        expect(metric.metric_id).toBe(original[i]?.['Metric ID']);
        expect(metric.metric_weight).toBe(original[i]?.['Metric Weight']);
      });
    }
    // Both justification shapes: message ids + timestamps, and source-system comparisons (number and text).
    const metrics = normalize(current[0] as RawContact).row.metrics as Record<string, unknown>[];
    const byName = (name: string): unknown[] =>
      JSON.parse(metrics.find((m) => m.metric_name === name)?.justification_json as string) as unknown[];
    expect(byName('Agent Rude')[0]).toMatchObject({ timestamp: [1777726914000, 1777727264000, 1777727554000] });
    expect(byName('ByValue1 + PPS')[0]).toMatchObject({ sourceSystemValue: '3.5', agentMentionedValue: '3.5' });
    expect(byName('New StaticValue + nested resp')[0]).toMatchObject({ sourceSystemValue: 3.5 });
  });

  it('splits generated intents and topics by kind', () => {
    const intents = normalize(current[0] as RawContact).row.generated_intents as Record<string, unknown>[];
    expect(intents).toHaveLength(20);
    expect(intents.filter((i) => i.kind === 'intent')).toHaveLength(10);
    expect(intents.filter((i) => i.kind === 'topic')).toHaveLength(10);
    expect(intents[0]).toEqual({
      kind: 'intent',
      name: 'book a round-trip flight between New York and Amsterdam',
      emotions: ['Happy'],
      keywords: ['flight booking', 'Amsterdam', 'New York', 'January 15th', 'January 22nd', 'round-trip ticket', '600 euros'],
      sentiment: 'positive',
      sentiment_score: 9,
    });
    expect(intents[10]).toMatchObject({ kind: 'topic', name: 'Flight booking to Amsterdam' });
  });

  it('reads the previous API version: NA score, missing fields, null sentiment', () => {
    const [first, second] = previous.map((raw) => normalize(raw));
    expect(first?.problems).toEqual([]);
    expect(first?.row).toMatchObject({
      kore_evaluation_score: null,
      kore_evaluation_score_raw: 'NA',
      sentiment_score: null,
      duration_ms: 21216,
      duration_status: 'below_threshold',
      conversation_start_time: '2026-03-23 10:18:43.396',
      emotions: null,
      sentiment_ratio: null,
      customer_emotions: [],
      contact_direction: null,
      custom_fields: null,
      configured_intents: null,
      generated_intents: null,
    });
    expect((first?.row.metrics as Record<string, unknown>[])[0]).toMatchObject({ qualification: null, auditor_response: null });
    expect(second?.row).toMatchObject({
      kore_evaluation_score: 77,
      kore_evaluation_score_raw: '77',
      configured_topics_total: 5,
      configured_intents: [
        {
          l1_topic: 'E-commerce',
          l1_confidence: 0.9,
          l2_topic: 'Order Management',
          l2_confidence: 0.85,
          l3_topic: 'Place order',
          l3_confidence: 0.9,
          l3_sentiment: 9,
          l3_resolution: 1,
        },
      ],
    });
  });
});

describe('normalizeContact on edge cases', () => {
  it('keeps a record whose every field is null, with null columns and no problems', () => {
    const raw = edgeCase('nulls-everywhere');
    const { row, problems, conversationId } = normalize(raw);
    expect(problems).toEqual([]);
    expect(conversationId).toBeUndefined();
    for (const name of API_COLUMNS) expect(row[name], name).toBeNull();
    expect(JSON.parse(row.raw as string)).toEqual(raw);
    expect(row.run_id).toBe('run-0001');
  });

  it('keeps an empty record', () => {
    const { row, problems } = normalize({});
    expect(problems).toEqual([]);
    expect(Object.keys(row)).toEqual(COLUMNS.map((c) => c.name));
    expect(row.raw).toBe('{}');
    for (const name of API_COLUMNS) expect(row[name], name).toBeNull();
  });

  it('reads the camelCase spellings of the API field table and the voice fields', () => {
    const { row, problems } = normalize(edgeCase('documented-camel-case-voice'));
    expect(problems).toEqual([]);
    expect(row).toMatchObject({
      conversation_id: 'c-voice-0001',
      custom_conversation_id: 'EXT-0001',
      contact_direction: 'outbound',
      is_direction_defaulted: true,
      // +02:00 converted to UTC; epoch milliseconds accepted; microseconds cut to milliseconds.
      conversation_start_time: '2026-05-02 13:01:34.250',
      conversation_end_time: '2026-05-02 13:06:34.999',
      duration_ms: 120749,
      sentiment: 'positive',
      sentiment_score: 3.5,
      kore_evaluation_score: null,
      kore_evaluation_score_raw: 'NA',
      fatal_errors: 2,
      is_escalation_observed: false,
      audit_status: 'Audited',
      audit_score: 87.5,
      audit_date: '2026-05-02 16:30:00.999',
      auditor_name: 'Jane Auditor',
      crutch_word_score: 2.5,
      customer_talk_ratio_pct: 45.5,
      agent_talk_ratio_pct: 48.25,
      silence_pct: 6.25,
      agent_recordings: ['https://recordings.example.com/c-voice-0001/agent.wav'],
      customer_recordings: ['https://recordings.example.com/c-voice-0001/customer.wav'],
      queues: [
        { queue_id: 'qu-voice-1', queue_name: 'Voice EU' },
        { queue_id: 'qu-voice-2', queue_name: 'Voice Escalations' },
      ],
      speaking_rate: [
        {
          n_words: 120,
          average: 142.5,
          score: 0.8,
          source: 'agent',
          source_id: 'a-voice-1',
          message_id: 'ms-v-1',
          msg_timestamp: 1777726914000,
          start_offset_ms: 1500,
        },
        {
          n_words: 87,
          average: 131,
          score: 1,
          source: 'customer',
          source_id: 'cu-1',
          message_id: 'ms-v-2',
          msg_timestamp: 1777726920000,
          start_offset_ms: 7500,
        },
      ],
      configured_topics_total: 4,
    });
    expect((row.agents as unknown[])[0]).toMatchObject({ agent_start_time: '2026-05-02 13:01:40.123', empathy_score: 7.5 });
    expect((row.agents as unknown[])[1]).toMatchObject({ agent_start_time: '2026-05-02 13:02:00.000', agent_email: null });
    expect((row.metrics as unknown[])[0]).toMatchObject({ auditor_response: 'YES', metric_weight: 10 });
    expect((row.metrics as unknown[])[1]).toMatchObject({ metric_weight: 12.5, is_fatal_error: true });
    expect((row.generated_intents as unknown[])[0]).toMatchObject({ kind: 'intent', sentiment_score: 2 });
  });

  it('coerces every custom field value to text', () => {
    const { row } = normalize(edgeCase('documented-camel-case-voice'));
    expect(row.custom_fields).toEqual({
      Region: 'EU',
      Priority: '3',
      VIP: 'true',
      Tags: '["gold","eu"]',
      Nested: '{"tier":1}',
      Empty: null,
    });
  });

  it('puts an unknown field only in raw', () => {
    const { row } = normalize(edgeCase('documented-camel-case-voice'));
    const { raw, ...typed } = row;
    expect(JSON.stringify(typed)).not.toContain('UNKNOWN-FIELD-MARKER');
    expect(JSON.parse(raw as string)).toMatchObject({ vendorExperimentalField: { unknownToTheSchema: 'UNKNOWN-FIELD-MARKER' } });
  });

  it('nulls mistyped values, names the column and never the value', () => {
    const raw = edgeCase('mistyped');
    const { row, problems, conversationId } = normalize(raw);
    expect(conversationId).toBe('c-mistyped-0001');
    expect(JSON.parse(row.raw as string)).toEqual(raw);
    expect(problems).toEqual(
      expect.arrayContaining([
        'contact_direction: not a string',
        'is_direction_defaulted: not a boolean',
        'conversation_start_time: not a valid timestamp',
        'conversation_end_time: not a valid timestamp',
        'duration_ms: not a number',
        'sentiment_score: not a number',
        'kore_evaluation_score: not a number',
        'is_churn_risk_observed: not a boolean',
        'fatal_errors: not a whole number',
        'pass_score: not a number',
        'is_passed: not a boolean',
        'metrics[0].metric_weight: not a number',
        'metrics[0].is_fatal_error: not a boolean',
        'metrics[0].auditor_response: not a string',
        'audit_date: not a valid timestamp',
        'queues: not an array',
        'agents[0].agent_id: not a string',
        'agents[0].agent_start_time: not a valid timestamp',
        'agents[0].empathy_score: not a number',
        'agents[1]: not an object',
        'emotions: not an array',
        'sentiment_ratio: not an object',
        'sentiment_pattern.at_start: not a string',
        'speaking_rate[0].n_words: not a whole number',
        'speaking_rate[0].msg_timestamp: out of range for bigint',
        'speaking_rate[0].start_offset_ms: not a number',
        'agent_recordings: not an array',
        'generated_intents[0].keywords: not an array',
        'generated_intents[0].sentiment_score: not a number',
        'configured_intents.topics[0].l2_topics: not an array',
        'configured_intents[0].l1_confidence: not a number',
        'configured_topics_total: out of range for int',
        'custom_fields: not an object',
      ]),
    );
    for (const problem of problems) {
      expect(problem).not.toMatch(/LEAK/);
      expect(problem).not.toContain('1.5');
      expect(problem).not.toContain('3000000000');
      expect(problem).toMatch(/^[a-z0-9_]+[[.:]/);
    }
    expect(row).toMatchObject({
      contact_direction: null,
      conversation_start_time: null,
      conversation_end_time: null,
      duration_ms: null,
      kore_evaluation_score: null,
      // The original value, as text, is still there for the analyst; it is data, not a problem message.
      kore_evaluation_score_raw: 'LEAK-excellent',
      fatal_errors: null,
      queues: null,
      emotions: null,
      custom_fields: null,
      configured_topics_total: null,
      sentiment_pattern: { at_start: null, at_end: 'neutral' },
      // "" and "NA" are the API's "no value": null without a problem.
      crutch_word_score: null,
      silence_pct: null,
    });
    expect(row.agents).toEqual([
      { agent_id: null, agent_name: 'Ok Name', agent_email: null, agent_start_time: null, empathy_score: null },
      null,
    ]);
    expect(problems.some((p) => p.startsWith('crutch_word_score') || p.startsWith('silence_pct'))).toBe(false);
  });

  it('accepts numbers given as text, and treats NA and empty text as no value', () => {
    const { row, problems } = normalize({
      'Sentiment Score': ' 2.75 ',
      'Pass Score': '40',
      'Fatal Errors': '3',
      Duration: '5000',
      'Audit Score': 'NA',
      'Kore Evaluation Score': '',
      IsPassed: 'TRUE',
      'Audit Date': 'NA',
    });
    expect(problems).toEqual([]);
    expect(row).toMatchObject({
      sentiment_score: 2.75,
      pass_score: 40,
      fatal_errors: 3,
      duration_ms: 5000,
      audit_score: null,
      kore_evaluation_score: null,
      kore_evaluation_score_raw: '',
      is_passed: true,
      audit_date: null,
    });
  });

  it('turns numbers and booleans in text columns into text, objects into a problem', () => {
    const { row, problems } = normalize({ 'Conversation ID': 12345, Language: true, src: ['rtm'] });
    expect(row).toMatchObject({ conversation_id: '12345', language: 'true', src: null });
    expect(problems).toEqual(['src: not a string']);
  });

  it('rejects impossible dates and keeps timezone offsets exact', () => {
    const { row, problems } = normalize({
      'Conversation Start Time': '2026-02-30T10:00:00Z',
      'Conversation End Time': '2026-05-02T23:30:00.5-01:00',
      'Audit Date': 1777726914123,
    });
    expect(row.conversation_start_time).toBeNull();
    expect(row.conversation_end_time).toBe('2026-05-03 00:30:00.500');
    expect(row.audit_date).toBe('2026-05-02 13:01:54.123');
    expect(problems).toEqual(['conversation_start_time: not a valid timestamp']);
  });

  it('reads the first spelling present when a contact has two', () => {
    const { row } = normalize({ 'Conversation ID': 'c-spaced', conversationId: 'c-camel' });
    expect(row.conversation_id).toBe('c-spaced');
  });

  it('keeps a value that is not an object at all, as raw only', () => {
    const { row, problems } = normalize([1, 2] as unknown as RawContact);
    expect(problems).toEqual(['contact: not an object']);
    expect(row.raw).toBe('[1,2]');
    expect(Object.keys(row)).toEqual(COLUMNS.map((c) => c.name));
  });
});
