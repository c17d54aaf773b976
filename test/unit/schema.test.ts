import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  COLUMNS,
  COLUMN_SPECS,
  PARTITION_KEYS,
  SCHEMA_VERSION,
  TIMESTAMP_FORMAT,
  duckdbColumns,
  duckdbPartitionTypes,
  duckdbType,
  formatTimestamp,
  hiveType,
  renderColumnsMarkdown,
  t,
  type ColumnType,
} from '../../functions/lib/archive/schema';

const NAME = /^[a-z0-9_]+$/;

/** Every struct (at any depth) of a type, with its path. */
function structs(type: ColumnType, path: string): { path: string; names: string[] }[] {
  switch (type.kind) {
    case 'array':
      return structs(type.element, `${path}[]`);
    case 'map':
      return structs(type.value, `${path}{}`);
    case 'struct':
      return [
        { path, names: type.fields.map((f) => f.name) },
        ...type.fields.flatMap((f) => structs(f.type, `${path}.${f.name}`)),
      ];
    default:
      return [];
  }
}

/**
 * A small recursive-descent parser of Hive type strings: returns the rest of the input after one type,
 * or throws. Accepts only the primitives the archive uses, so a typo like `strng` fails.
 */
function parseHiveType(input: string): string {
  const primitive = /^(string|bigint|int|double|boolean|timestamp)/.exec(input);
  if (primitive) return input.slice(primitive[0].length);
  if (input.startsWith('array<')) return expectChar(parseHiveType(input.slice(6)), '>');
  if (input.startsWith('map<')) {
    const afterKey = expectChar(parseHiveType(input.slice(4)), ',');
    return expectChar(parseHiveType(afterKey), '>');
  }
  if (input.startsWith('struct<')) {
    let rest = input.slice(7);
    for (;;) {
      const field = /^[a-z0-9_]+:/.exec(rest);
      if (!field) throw new Error(`struct field expected at: ${rest.slice(0, 30)}`);
      rest = parseHiveType(rest.slice(field[0].length));
      if (rest.startsWith(',')) rest = rest.slice(1);
      else return expectChar(rest, '>');
    }
  }
  throw new Error(`type expected at: ${input.slice(0, 30)}`);
}

function expectChar(rest: string, char: string): string {
  if (!rest.startsWith(char)) throw new Error(`"${char}" expected at: ${rest.slice(0, 30)}`);
  return rest.slice(1);
}

function isValidHiveType(type: string): boolean {
  try {
    return parseHiveType(type) === '';
  } catch {
    return false;
  }
}

/** The documented matching rule for source keys: case, spaces and punctuation are ignored. */
function keyForm(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

describe('archive schema', () => {
  it('has unique snake_case column names, Athena-safe', () => {
    const names = COLUMNS.map((c) => c.name);
    for (const name of names) expect(name).toMatch(NAME);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has snake_case, unique struct field names at every depth', () => {
    for (const spec of COLUMN_SPECS) {
      for (const struct of structs(spec.type, spec.name)) {
        for (const name of struct.names) expect(name, struct.path).toMatch(NAME);
        expect(new Set(struct.names).size, struct.path).toBe(struct.names.length);
      }
    }
  });

  it('keeps the partition keys out of the data columns', () => {
    expect(PARTITION_KEYS.map((p) => [p.name, p.type])).toEqual([
      ['stream_id', 'string'],
      ['dt', 'string'],
      ['hour', 'string'],
    ]);
    const names = new Set(COLUMNS.map((c) => c.name));
    for (const key of PARTITION_KEYS) expect(names.has(key.name)).toBe(false);
  });

  it('derives COLUMNS from the DSL specs, in the same order', () => {
    expect(COLUMNS.map((c) => c.name)).toEqual(COLUMN_SPECS.map((s) => s.name));
    COLUMN_SPECS.forEach((spec, i) => expect(COLUMNS[i]?.type).toBe(hiveType(spec.type)));
  });

  it('gives every column a valid-looking Hive type and a Glue-sized comment', () => {
    for (const column of [...COLUMNS, ...PARTITION_KEYS]) {
      expect(isValidHiveType(column.type), `${column.name}: ${column.type}`).toBe(true);
      expect(column.comment.length, column.name).toBeGreaterThan(0);
      expect(column.comment.length, column.name).toBeLessThanOrEqual(255);
    }
  });

  it('the Hive type checker can fail', () => {
    expect(isValidHiveType('array<struct<a:string,b:strng>>')).toBe(false);
    expect(isValidHiveType('struct<a:string')).toBe(false);
    expect(isValidHiveType('map<string,string>')).toBe(true);
  });

  it('declares the contract types of the columns analysts rely on', () => {
    const types = Object.fromEntries(COLUMNS.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      conversation_id: 'string',
      kore_evaluation_score_raw: 'string',
      conversation_start_time: 'timestamp',
      conversation_end_time: 'timestamp',
      audit_date: 'timestamp',
      duration_ms: 'bigint',
      kore_evaluation_score: 'double',
      sentiment_score: 'double',
      pass_score: 'double',
      audit_score: 'double',
      fatal_errors: 'int',
      is_churn_risk_observed: 'boolean',
      is_escalation_observed: 'boolean',
      is_passed: 'boolean',
      is_direction_defaulted: 'boolean',
      crutch_word_score: 'double',
      customer_talk_ratio_pct: 'double',
      agent_talk_ratio_pct: 'double',
      silence_pct: 'double',
      queues: 'array<struct<queue_id:string,queue_name:string>>',
      agents: 'array<struct<agent_id:string,agent_name:string,agent_email:string,agent_start_time:timestamp,empathy_score:double>>',
      emotions: 'array<string>',
      customer_emotions: 'array<struct<emotion:string,duration:double,proportion:double>>',
      agent_emotions: 'array<struct<emotion:string,duration:double,proportion:double>>',
      sentiment_ratio: 'struct<positive:double,neutral:double,negative:double>',
      sentiment_pattern: 'struct<at_start:string,at_end:string>',
      speaking_rate:
        'array<struct<n_words:int,average:double,score:double,source:string,source_id:string,message_id:string,msg_timestamp:bigint,start_offset_ms:bigint>>',
      metrics:
        'array<struct<metric_id:string,metric_name:string,metric_weight:double,metric_negative_weight:double,qualification:string,is_fatal_error:boolean,auditor_response:string,justification_json:string,trigger_justification_json:string>>',
      generated_intents:
        'array<struct<kind:string,name:string,emotions:array<string>,keywords:array<string>,sentiment:string,sentiment_score:double>>',
      configured_intents:
        'array<struct<l1_topic:string,l1_confidence:double,l2_topic:string,l2_confidence:double,l3_topic:string,l3_confidence:double,l3_sentiment:double,l3_resolution:int>>',
      configured_topics_total: 'int',
      agent_recordings: 'array<string>',
      customer_recordings: 'array<string>',
      custom_fields: 'map<string,string>',
      raw: 'string',
      archived_at: 'timestamp',
      window_start: 'timestamp',
      window_end: 'timestamp',
      run_id: 'string',
      schema_version: 'int',
    });
    expect(SCHEMA_VERSION).toBe(1);
  });

  it('derives a DuckDB type for every column, from the same DSL', () => {
    const duck = duckdbColumns();
    expect(Object.keys(duck)).toEqual(COLUMNS.map((c) => c.name));
    for (const [name, type] of Object.entries(duck)) expect(type, name).toMatch(/^[A-Z]/);
    expect(duck.queues).toBe('STRUCT("queue_id" VARCHAR, "queue_name" VARCHAR)[]');
    expect(duck.custom_fields).toBe('MAP(VARCHAR, VARCHAR)');
    expect(duck.conversation_start_time).toBe('TIMESTAMP');
    expect(duck.duration_ms).toBe('BIGINT');
    expect(duck.fatal_errors).toBe('INTEGER');
    expect(duck.raw).toBe('VARCHAR');
    expect(duck.sentiment_pattern).toBe('STRUCT("at_start" VARCHAR, "at_end" VARCHAR)');
    expect(duckdbPartitionTypes()).toEqual({ stream_id: 'VARCHAR', dt: 'VARCHAR', hour: 'VARCHAR' });
  });

  it('maps each DSL node to matching Hive and DuckDB types', () => {
    const nested = t.array(t.struct({ a: t.map(t.string(), t.array(t.double())), b: t.timestamp(), c: t.json() }));
    expect(hiveType(nested)).toBe('array<struct<a:map<string,array<double>>,b:timestamp,c:string>>');
    expect(duckdbType(nested)).toBe('STRUCT("a" MAP(VARCHAR, DOUBLE[]), "b" TIMESTAMP, "c" VARCHAR)[]');
  });

  it('reads every field documented by either API version into some column', () => {
    // Top-level fields from the current and the previous API's "Response Body Parameters" tables and samples.
    const documented = [
      'src', 'customConversationId', 'conversationId', 'Conversation ID', 'contactDirection', 'contact_direction',
      'is_direction_defaulted', 'Conversation Start Time', 'conversationStartTime', 'Conversation End Time',
      'conversationEndTime', 'Language', 'language', 'Duration', 'duration', 'Sentiment', 'sentiment',
      'Sentiment Score', 'sentimentScore', 'Queues', 'queues', 'Agents', 'agents', 'Kore Evaluation Score',
      'IsChurnRiskObserved', 'IsEscalationObserved', 'Fatal Errors', 'fatalErrorCount', 'Taxonomy Resolution',
      'Emotions', 'duration_status', 'Speaking Rate', 'speakingRate', 'Sentiment Pattern', 'sentimentPattern',
      'Customer emotions', 'Agent emotions', 'Metrics', 'metrics', 'Pass Score', 'IsPassed', 'Evaluation Form Name',
      'Evaluation Form Scoring Type', 'Sentiment Ratio', 'sentimentRatio', 'Configured_Intents', 'configuredIntents',
      'Generated Intents', 'generatedIntents', 'Crutch Word Score', 'Customer talk ratio percentage',
      'Agent talk ratio percentage', 'Silence percentage', 'agentRecordings', 'customerRecordings', 'audi Status',
      'Audit Status', 'Audit Score', 'Audit Date', 'Auditor Name', 'custom_fields',
    ];
    const sourceForms = new Set(
      COLUMN_SPECS.flatMap((c) => c.from.map((key) => keyForm(typeof key === 'string' ? key : (key[0] ?? '')))),
    );
    for (const key of documented) expect(sourceForms.has(keyForm(key)), key).toBe(true);

    for (const file of ['rawdata-response-current.json', 'rawdata-response-previous.json']) {
      const doc = JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as {
        results: Record<string, unknown>[];
      };
      for (const contact of doc.results) {
        for (const key of Object.keys(contact)) expect(sourceForms.has(keyForm(key)), `${file}: ${key}`).toBe(true);
      }
    }
  });

  it('formats timestamps as UTC milliseconds, the Hive JSON SerDe format', () => {
    expect(formatTimestamp(new Date('2026-05-02T13:01:34Z'))).toBe('2026-05-02 13:01:34.000');
    expect(formatTimestamp(new Date('2026-05-02T15:01:34.25+02:00'))).toBe('2026-05-02 13:01:34.250');
    const early = new Date(0);
    early.setUTCFullYear(5, 0, 1);
    expect(formatTimestamp(early)).toBe('0005-01-01 00:00:00.000');
    expect(formatTimestamp(new Date('2026-05-02T13:01:34Z'))).toMatch(TIMESTAMP_FORMAT.pattern);
    expect(TIMESTAMP_FORMAT.example).toMatch(TIMESTAMP_FORMAT.pattern);
    expect(formatTimestamp(new Date(Number.NaN))).toBeUndefined();
    expect(formatTimestamp(new Date(Date.UTC(10000, 0, 1)))).toBeUndefined();
  });

  it('renders a Markdown table with every column and partition key', () => {
    const markdown = renderColumnsMarkdown();
    const lines = markdown.trim().split('\n');
    expect(lines[0]).toBe('| Column | Type | Source keys | Description |');
    expect(lines).toHaveLength(2 + COLUMNS.length + PARTITION_KEYS.length);
    for (const column of [...COLUMNS, ...PARTITION_KEYS]) {
      expect(markdown).toContain(`| \`${column.name}\` | \`${column.type}\` |`);
    }
    expect(markdown).toContain('| `Duration`, `duration_ms` |');
    expect(markdown).toContain('`Configured_Intents.total_topics_identified`');
  });
});
