/**
 * The single source of truth for the archive table. Every column is described once, in a small typed
 * DSL ({@link t}); from that description come the Glue/Hive type strings ({@link COLUMNS}), the DuckDB
 * types used by the local checks and the demo ({@link duckdbColumns}), the normalizer's coercion
 * (normalize.ts walks {@link COLUMN_SPECS}) and the README's column table ({@link renderColumnsMarkdown}).
 *
 * Data files are gzipped JSON lines read by the Hive JSON SerDe: one object per contact whose keys are
 * exactly the column names below, in this order. Partition keys live in the object key, not in the lines.
 */

/**
 * The version of the columns below, recorded in schema-history.ts. Columns are only appended (see the rules
 * there); each change is a new version. Written into every row and manifest, and output by the stack.
 */
export const SCHEMA_VERSION = 1;

/** One table column: Athena/Glue (Hive) type string and a short description for docs and Glue. */
export interface ColumnDef {
  /** snake_case, `[a-z0-9_]` only. */
  readonly name: string;
  /** Hive/Glue type, e.g. `string`, `bigint`, `array<struct<queue_id:string,queue_name:string>>`. */
  readonly type: string;
  readonly comment: string;
}

// ---------------------------------------------------------------------------------------------------------
// The type DSL
// ---------------------------------------------------------------------------------------------------------

/**
 * Where a value is read from in a raw contact (or in one of its nested objects): a key, or a path of keys
 * into nested objects. Keys are matched ignoring case and any character other than a letter or digit, so
 * `conversation_id` also matches `Conversation ID` and `conversationId`.
 */
export type SourceKey = string | readonly string[];

/** A text column. */
export interface StringType {
  readonly kind: 'string';
  /**
   * When true an object or array value is kept as its JSON text (used for free-form maps such as
   * `custom_fields`); when false it does not fit and becomes null with a problem.
   */
  readonly stringifyObjects: boolean;
  /**
   * Texts that mean "no value" for this column (compared trimmed and ignoring case), read as null without a
   * problem: e.g. `-` for a metric's qualification. Other text is kept as given.
   */
  readonly noValue: readonly string[];
}

/** A text column holding the JSON text of whatever the API returned (for shapes that vary between records). */
export interface JsonTextType {
  readonly kind: 'json';
}

/** A number column. Integers are range-checked against their Hive type. */
export interface NumberType {
  readonly kind: 'int' | 'bigint' | 'double';
  /** Unit words allowed after a number given as text, e.g. `milliseconds` for `"99000 milliseconds"`. */
  readonly units: readonly string[];
  /** The values the vendor documents, inclusive; a number outside is null with a problem. */
  readonly range: NumberRange | undefined;
}

/** An inclusive range of numbers, e.g. `{ min: -100, max: 100 }` for a score. */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
}

/** A true/false column. */
export interface BooleanType {
  readonly kind: 'boolean';
}

/** A UTC instant, written as {@link TIMESTAMP_FORMAT} text (the Hive JSON SerDe's native timestamp format). */
export interface TimestampType {
  readonly kind: 'timestamp';
}

/** An ordered list of values of one type. */
export interface ArrayType {
  readonly kind: 'array';
  readonly element: ColumnType;
}

/** One field of a {@link StructType}. */
export interface StructField {
  /** snake_case, `[a-z0-9_]` only. */
  readonly name: string;
  readonly type: ColumnType;
  /** Keys of the source object to read, in order of preference (default: the field's own name). */
  readonly from: readonly SourceKey[];
}

/** A nested record with fixed, typed fields. */
export interface StructType {
  readonly kind: 'struct';
  readonly fields: readonly StructField[];
}

/** A map with free-form keys. */
export interface MapType {
  readonly kind: 'map';
  readonly key: StringType;
  readonly value: ColumnType;
}

/** A column type of the DSL. */
export type ColumnType =
  | StringType
  | JsonTextType
  | NumberType
  | BooleanType
  | TimestampType
  | ArrayType
  | StructType
  | MapType;

/** A struct field given with explicit source keys; see {@link from}. */
export interface FieldSpec {
  readonly type: ColumnType;
  readonly from: readonly SourceKey[];
}

function isFieldSpec(value: ColumnType | FieldSpec): value is FieldSpec {
  return !('kind' in value);
}

/** Declares the source keys a struct field (or column) is read from, when they differ from its name. */
export function from(type: ColumnType, ...keys: SourceKey[]): FieldSpec {
  return Object.freeze({ type, from: Object.freeze([...keys]) });
}

function numberType(kind: NumberType['kind'], units: readonly string[], range: NumberRange | undefined): NumberType {
  return Object.freeze({ kind, units: Object.freeze([...units]), range: range && Object.freeze({ ...range }) });
}

/** Builders of the type DSL. */
export const t = Object.freeze({
  string: (options: { stringifyObjects?: boolean; noValue?: readonly string[] } = {}): StringType =>
    Object.freeze({
      kind: 'string',
      stringifyObjects: options.stringifyObjects ?? false,
      noValue: Object.freeze((options.noValue ?? []).map((text) => text.trim().toLowerCase())),
    }),
  json: (): JsonTextType => Object.freeze({ kind: 'json' }),
  int: (options: { range?: NumberRange } = {}): NumberType => numberType('int', [], options.range),
  bigint: (options: { units?: readonly string[]; range?: NumberRange } = {}): NumberType =>
    numberType('bigint', options.units ?? [], options.range),
  double: (options: { range?: NumberRange } = {}): NumberType => numberType('double', [], options.range),
  boolean: (): BooleanType => Object.freeze({ kind: 'boolean' }),
  timestamp: (): TimestampType => Object.freeze({ kind: 'timestamp' }),
  array: (element: ColumnType): ArrayType => Object.freeze({ kind: 'array', element }),
  struct: (fields: Readonly<Record<string, ColumnType | FieldSpec>>): StructType =>
    Object.freeze({
      kind: 'struct',
      fields: Object.freeze(
        Object.entries(fields).map(([name, spec]) =>
          Object.freeze(
            isFieldSpec(spec)
              ? { name, type: spec.type, from: spec.from }
              : { name, type: spec, from: Object.freeze([name]) },
          ),
        ),
      ),
    }),
  map: (key: StringType, value: ColumnType): MapType => Object.freeze({ kind: 'map', key, value }),
});

// ---------------------------------------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------------------------------------

/**
 * How timestamp columns are written. The Hive JSON SerDe reads `yyyy-MM-dd HH:mm:ss[.fffffffff]` natively,
 * so no SerDe property is needed; DuckDB reads it with `timestampformat`. Always UTC, always milliseconds.
 */
export const TIMESTAMP_FORMAT = Object.freeze({
  /** Java `DateTimeFormatter` pattern (Hive, Athena `parse_datetime`). */
  java: 'yyyy-MM-dd HH:mm:ss.SSS',
  /** DuckDB / strftime pattern (`%g` = milliseconds). */
  duckdb: '%Y-%m-%d %H:%M:%S.%g',
  /** A regular expression every written timestamp matches. */
  pattern: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/,
  example: '2026-05-02 13:01:34.000',
});

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats an instant in the archive's timestamp format (UTC, millisecond precision). Returns undefined
 * for an invalid date or a year outside 0001-9999, which no reader of the table could represent.
 */
export function formatTimestamp(date: Date): string | undefined {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) return undefined;
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  return (
    `${pad(year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`
  );
}

// ---------------------------------------------------------------------------------------------------------
// The columns
// ---------------------------------------------------------------------------------------------------------

/**
 * Where a column's value comes from: the contact (through {@link ColumnSpec.from}), the whole contact as
 * returned (`raw`), or the run that archived it.
 */
export type ColumnOrigin = 'api' | 'contact' | 'ingestion';

/** A column described with the DSL: everything the Glue table, the normalizer and DuckDB need. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly comment: string;
  readonly origin: ColumnOrigin;
  /** For `api` columns: source keys (or key paths), in order of preference. Empty otherwise. */
  readonly from: readonly SourceKey[];
}

/**
 * A column read from the contact. `keys` are the API's own spellings (sample spelling first, then the
 * documented camelCase one); any spelling that differs only in case, spaces or punctuation also matches.
 */
function api(name: string, type: ColumnType, keys: readonly SourceKey[], comment: string): ColumnSpec {
  return Object.freeze({ name, type, comment, origin: 'api', from: Object.freeze([...keys]) });
}

function derived(name: string, type: ColumnType, comment: string, origin: 'contact' | 'ingestion'): ColumnSpec {
  return Object.freeze({ name, type, comment, origin, from: Object.freeze([]) });
}

const emotionShare = t.struct({ emotion: t.string(), duration: t.double(), proportion: t.double() });

/** The data columns with their DSL types, in table order (partition keys excluded). */
export const COLUMN_SPECS: readonly ColumnSpec[] = Object.freeze([
  // Identity and classification
  api('conversation_id', t.string(), ['Conversation ID', 'conversationId'], 'Kore conversation id (unique per contact)'),
  api('custom_conversation_id', t.string(), ['customConversationId'], 'External conversation id, when set at ingestion'),
  api('src', t.string(), ['src'], 'Source channel identifier, e.g. rtm, korevg'),
  api('contact_direction', t.string(), ['contactDirection', 'contact_direction'], 'Resolved direction: inbound or outbound'),
  api('is_direction_defaulted', t.boolean(), ['is_direction_defaulted'],
    'True when the direction was inferred by the system, not given at ingestion'),
  api('conversation_start_time', t.timestamp(), ['Conversation Start Time', 'conversationStartTime'], 'Conversation start (UTC)'),
  api('conversation_end_time', t.timestamp(), ['Conversation End Time', 'conversationEndTime'], 'Conversation end (UTC)'),
  api('duration_ms', t.bigint({ units: ['milliseconds', 'millisecond', 'ms'] }), ['Duration', 'duration_ms'],
    'Conversation duration in milliseconds (parsed from e.g. "99000 milliseconds")'),
  api('duration_status', t.string(), ['duration_status'], 'Evaluation eligibility: evaluated, below_threshold, duration_unavailable'),
  api('language', t.string(), ['Language'], 'Conversation language'),
  api('sentiment', t.string(), ['Sentiment'], 'Overall sentiment classification, e.g. positive, neutral'),
  api('sentiment_score', t.double(), ['Sentiment Score'], 'Overall sentiment score; null when unavailable'),
  // Evaluation
  api('kore_evaluation_score', t.double({ range: { min: -100, max: 100 } }), ['Kore Evaluation Score'], 'AutoQA score; null when not evaluated (the API says NA)'),
  api('kore_evaluation_score_raw', t.string(), ['Kore Evaluation Score'],
    'AutoQA score exactly as the API gave it, as text, e.g. "35" or "NA"'),
  api('is_churn_risk_observed', t.boolean(), ['IsChurnRiskObserved'], 'Churn risk detected'),
  api('is_escalation_observed', t.boolean(), ['IsEscalationObserved'], 'Escalation detected'),
  api('fatal_errors', t.int(), ['Fatal Errors', 'fatalErrorCount'], 'Number of fatal errors detected'),
  api('taxonomy_resolution', t.string(), ['Taxonomy Resolution'], 'Taxonomy resolution status, e.g. YES, NA'),
  api('evaluation_form_name', t.string(), ['Evaluation Form Name'], 'Evaluation form name'),
  api('evaluation_form_scoring_type', t.string(), ['Evaluation Form Scoring Type'], 'Scoring type of the form: points or percentage'),
  api('pass_score', t.double(), ['Pass Score'], 'Minimum passing score of the form'),
  api('is_passed', t.boolean(), ['IsPassed'], 'Whether the evaluation passed'),
  api(
    'metrics',
    t.array(
      t.struct({
        metric_id: from(t.string(), 'Metric ID'),
        metric_name: from(t.string(), 'Metric Name'),
        metric_weight: from(t.double(), 'Metric Weight'),
        metric_negative_weight: from(t.double(), 'Metric Negative Weight'),
        // Some API versions show a metric without a result as "-": the same as no value.
        qualification: from(t.string({ noValue: ['-', '--', '\u2014'] }), 'Qualification'),
        is_fatal_error: from(t.boolean(), 'isFatalError'),
        auditor_response: from(t.string(), 'Auditor Response'),
        justification_json: from(t.json(), 'justification'),
        trigger_justification_json: from(t.json(), 'triggerJustification'),
      }),
    ),
    ['Metrics'],
    'Evaluation metrics; justifications vary in shape, so they are kept as JSON text (use json_extract)',
  ),
  // Audit
  api('audit_status', t.string(), ['Audit Status', 'audi Status'], 'Audit workflow status, e.g. Audited, Assigned, Unassigned'),
  api('audit_score', t.double(), ['Audit Score'], 'Score given by the auditor, once the audit is completed'),
  api('audit_date', t.timestamp(), ['Audit Date'], 'Audit completion time (UTC)'),
  api('auditor_name', t.string(), ['Auditor Name'], 'Name of the auditor'),
  // Queues and agents
  api('queues', t.array(t.struct({ queue_id: from(t.string(), 'Queue ID'), queue_name: from(t.string(), 'Queue Name') })),
    ['Queues'], 'Queues the conversation went through'),
  api(
    'agents',
    t.array(
      t.struct({
        agent_id: from(t.string(), 'agentId'),
        agent_name: from(t.string(), 'Agent Name'),
        agent_email: from(t.string(), 'Agent Email'),
        agent_start_time: from(t.timestamp(), 'Agent Start Time'),
        empathy_score: from(t.double(), 'Empathy Score'),
      }),
    ),
    ['Agents'],
    'Agents who took part in the conversation',
  ),
  // Emotions and sentiment
  api('emotions', t.array(t.string()), ['Emotions'], 'High-level emotions detected'),
  api('customer_emotions', t.array(emotionShare), ['Customer emotions'], 'Customer emotion breakdown (proportion in %)'),
  api('agent_emotions', t.array(emotionShare), ['Agent emotions'], 'Agent emotion breakdown (proportion in %)'),
  api('sentiment_ratio', t.struct({ positive: t.double(), neutral: t.double(), negative: t.double() }), ['Sentiment Ratio'],
    'Sentiment distribution in % (positive, neutral, negative)'),
  // Fields renamed from the API's start/end: END is an SQL keyword and would need quoting in every query.
  api('sentiment_pattern', t.struct({ at_start: from(t.string(), 'start'), at_end: from(t.string(), 'end') }), ['Sentiment Pattern'],
    'Sentiment at the start and at the end of the conversation'),
  // Voice
  api(
    'speaking_rate',
    t.array(
      t.struct({
        n_words: from(t.int(), 'nWords'),
        average: t.double(),
        score: t.double(),
        source: t.string(),
        source_id: from(t.string(), 'sourceId'),
        message_id: from(t.string(), 'messageId'),
        msg_timestamp: t.bigint(),
        start_offset_ms: from(t.bigint(), 'start', 'start_offset_ms'),
      }),
    ),
    ['Speaking Rate'],
    'Speaking rate entries (voice): words, words per minute, score, speaker, message, epoch ms, offset ms',
  ),
  api('crutch_word_score', t.double(), ['Crutch Word Score'], 'Agent filler-word usage score (voice)'),
  api('customer_talk_ratio_pct', t.double(), ['Customer talk ratio percentage', 'customer_talk_ratio_pct'],
    'Share of conversation time the customer talked, in % (voice)'),
  api('agent_talk_ratio_pct', t.double(), ['Agent talk ratio percentage', 'agent_talk_ratio_pct'],
    'Share of conversation time the agent talked, in % (voice)'),
  api('silence_pct', t.double(), ['Silence percentage', 'silence_pct'], 'Share of conversation time that was silence, in % (voice)'),
  api('agent_recordings', t.array(t.string()), ['agentRecordings'], 'Recording URLs of the agent channel'),
  api('customer_recordings', t.array(t.string()), ['customerRecordings'], 'Recording URLs of the customer channel'),
  // Intents
  api(
    'generated_intents',
    t.array(
      t.struct({
        kind: t.string(),
        name: from(t.string(), 'intent', 'topic', 'name'),
        emotions: t.array(t.string()),
        keywords: t.array(t.string()),
        sentiment: from(t.string(), 'Sentiment'),
        sentiment_score: from(t.double(), 'Sentiment Score', 'Intent Sentiment Score'),
      }),
    ),
    ['Generated Intents'],
    'AI-generated intents and topics; kind is intent or topic (after the key holding the text), name is the text',
  ),
  api(
    'configured_intents',
    t.array(
      t.struct({
        l1_topic: t.string(),
        l1_confidence: t.double(),
        l2_topic: t.string(),
        l2_confidence: t.double(),
        l3_topic: t.string(),
        l3_confidence: t.double(),
        l3_sentiment: t.double(),
        l3_resolution: t.int(),
      }),
    ),
    ['Configured_Intents'],
    'Configured taxonomy L1-L3, one entry per deepest path (lower levels null when absent); resolution 1 = resolved',
  ),
  api('configured_topics_total', t.int(), [['Configured_Intents', 'total_topics_identified']],
    'Total configured topics identified across all levels'),
  // Business metadata
  api('custom_fields', t.map(t.string(), t.string({ stringifyObjects: true })), ['custom_fields'],
    'Business metadata; every value as text (query as custom_fields[\'Region\'])'),
  // The contact as returned
  derived('raw', t.json(), 'The contact exactly as the API returned it, as JSON text (use json_extract for any field)', 'contact'),
  // Ingestion
  derived('archived_at', t.timestamp(), 'When this run archived the contact (UTC)', 'ingestion'),
  derived('window_start', t.timestamp(), 'Start of the archived hour window, inclusive (UTC)', 'ingestion'),
  derived('window_end', t.timestamp(), 'End of the archived hour window, exclusive (UTC)', 'ingestion'),
  derived('run_id', t.string(), 'Id of the run that archived the contact', 'ingestion'),
  derived('schema_version', t.int(), 'Version of this schema the line was written with', 'ingestion'),
]);

/** The partition keys with their DSL types, in order. */
export const PARTITION_SPECS: readonly ColumnSpec[] = Object.freeze([
  derived('stream_id', t.string(), 'Kore stream (bot) id the contacts were fetched for', 'ingestion'),
  derived('dt', t.string(), 'UTC date of the archive window, YYYY-MM-DD', 'ingestion'),
  derived('hour', t.string(), 'UTC hour of the archive window, 00-23', 'ingestion'),
]);

// ---------------------------------------------------------------------------------------------------------
// Derived views of the schema
// ---------------------------------------------------------------------------------------------------------

/** The Hive/Glue type string of a DSL type, e.g. `array<struct<queue_id:string,queue_name:string>>`. */
export function hiveType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
    case 'json':
      return 'string';
    case 'int':
    case 'bigint':
    case 'double':
    case 'boolean':
    case 'timestamp':
      return type.kind;
    case 'array':
      return `array<${hiveType(type.element)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${hiveType(f.type)}`).join(',')}>`;
    case 'map':
      return `map<${hiveType(type.key)},${hiveType(type.value)}>`;
  }
}

/**
 * The DuckDB type string of a DSL type, e.g. `STRUCT("queue_id" VARCHAR, "queue_name" VARCHAR)[]`.
 * Field names are quoted because some (`end`) are SQL keywords.
 */
export function duckdbType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
    case 'json':
      return 'VARCHAR';
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'array':
      return `${duckdbType(type.element)}[]`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `"${f.name}" ${duckdbType(f.type)}`).join(', ')})`;
    case 'map':
      return `MAP(${duckdbType(type.key)}, ${duckdbType(type.value)})`;
  }
}

function toColumnDef(spec: ColumnSpec): ColumnDef {
  return Object.freeze({ name: spec.name, type: hiveType(spec.type), comment: spec.comment });
}

/** Data columns, in table order (partition keys excluded). */
export const COLUMNS: readonly ColumnDef[] = Object.freeze(COLUMN_SPECS.map(toColumnDef));

/** Partition keys, in order: stream_id, dt (YYYY-MM-DD), hour (HH, two digits). */
export const PARTITION_KEYS: readonly ColumnDef[] = Object.freeze(PARTITION_SPECS.map(toColumnDef));

/** Column name to DuckDB type, in table order: the `columns` argument of DuckDB's `read_json`. */
export function duckdbColumns(): Readonly<Record<string, string>> {
  return Object.freeze(Object.fromEntries(COLUMN_SPECS.map((c) => [c.name, duckdbType(c.type)])));
}

/** Partition key to DuckDB type: the `hive_types` argument of DuckDB's `read_json`. */
export function duckdbPartitionTypes(): Readonly<Record<string, string>> {
  return Object.freeze(Object.fromEntries(PARTITION_SPECS.map((c) => [c.name, duckdbType(c.type)])));
}

function describeSource(spec: ColumnSpec): string {
  if (spec.origin === 'contact') return '(whole contact)';
  if (spec.origin === 'ingestion') return '(set by the archiver)';
  return spec.from.map((key) => `\`${typeof key === 'string' ? key : key.join('.')}\``).join(', ');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * The columns as a Markdown table (name, Hive type, source keys, description) for the README, followed
 * by the partition keys. Source keys match any spelling that differs only in case, spaces or `_`.
 */
export function renderColumnsMarkdown(): string {
  const lines = ['| Column | Type | Source keys | Description |', '| --- | --- | --- | --- |'];
  for (const spec of [...COLUMN_SPECS, ...PARTITION_SPECS]) {
    const partition = PARTITION_SPECS.includes(spec);
    lines.push(
      `| \`${spec.name}\` | \`${escapeCell(hiveType(spec.type))}\` | ${partition ? '(partition key)' : describeSource(spec)} | ${escapeCell(spec.comment)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
