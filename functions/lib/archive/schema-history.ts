/**
 * The record of every version of the table's columns, and the rules they evolve by. Old partitions are
 * never rewritten by a schema change (only by `reprocess`), and Athena reads every partition with the
 * table's current columns, so the columns may only grow:
 *
 * - a column is only ever appended at the end, never renamed, retyped, reordered or removed;
 * - a struct may gain fields at its end (old lines read them as null), nothing else changes inside a type;
 * - a change of meaning is a new column;
 * - every change is a new version here (`version` + 1), and `SCHEMA_VERSION` in schema.ts is that version.
 *
 * A unit test (test/unit/schema-history.test.ts) holds schema.ts to these rules.
 */

/** One version of the table: its columns (name and Hive type), in table order. */
export interface SchemaVersionRecord {
  readonly version: number;
  readonly columns: readonly (readonly [name: string, hiveType: string])[];
}

/** Every version the table has had, oldest first. Append a version; never edit one. */
export const SCHEMA_HISTORY: readonly SchemaVersionRecord[] = Object.freeze([
  {
    version: 1,
    columns: [
      ['conversation_id', 'string'],
      ['custom_conversation_id', 'string'],
      ['src', 'string'],
      ['contact_direction', 'string'],
      ['is_direction_defaulted', 'boolean'],
      ['conversation_start_time', 'timestamp'],
      ['conversation_end_time', 'timestamp'],
      ['duration_ms', 'bigint'],
      ['duration_status', 'string'],
      ['language', 'string'],
      ['sentiment', 'string'],
      ['sentiment_score', 'double'],
      ['kore_evaluation_score', 'double'],
      ['kore_evaluation_score_raw', 'string'],
      ['is_churn_risk_observed', 'boolean'],
      ['is_escalation_observed', 'boolean'],
      ['fatal_errors', 'int'],
      ['taxonomy_resolution', 'string'],
      ['evaluation_form_name', 'string'],
      ['evaluation_form_scoring_type', 'string'],
      ['pass_score', 'double'],
      ['is_passed', 'boolean'],
      ['metrics', 'array<struct<metric_id:string,metric_name:string,metric_weight:double,metric_negative_weight:double,qualification:string,is_fatal_error:boolean,auditor_response:string,justification_json:string,trigger_justification_json:string>>'],
      ['audit_status', 'string'],
      ['audit_score', 'double'],
      ['audit_date', 'timestamp'],
      ['auditor_name', 'string'],
      ['queues', 'array<struct<queue_id:string,queue_name:string>>'],
      ['agents', 'array<struct<agent_id:string,agent_name:string,agent_email:string,agent_start_time:timestamp,empathy_score:double>>'],
      ['emotions', 'array<string>'],
      ['customer_emotions', 'array<struct<emotion:string,duration:double,proportion:double>>'],
      ['agent_emotions', 'array<struct<emotion:string,duration:double,proportion:double>>'],
      ['sentiment_ratio', 'struct<positive:double,neutral:double,negative:double>'],
      ['sentiment_pattern', 'struct<at_start:string,at_end:string>'],
      ['speaking_rate', 'array<struct<n_words:int,average:double,score:double,source:string,source_id:string,message_id:string,msg_timestamp:bigint,start_offset_ms:bigint>>'],
      ['crutch_word_score', 'double'],
      ['customer_talk_ratio_pct', 'double'],
      ['agent_talk_ratio_pct', 'double'],
      ['silence_pct', 'double'],
      ['agent_recordings', 'array<string>'],
      ['customer_recordings', 'array<string>'],
      ['generated_intents', 'array<struct<kind:string,name:string,emotions:array<string>,keywords:array<string>,sentiment:string,sentiment_score:double>>'],
      ['configured_intents', 'array<struct<l1_topic:string,l1_confidence:double,l2_topic:string,l2_confidence:double,l3_topic:string,l3_confidence:double,l3_sentiment:double,l3_resolution:int>>'],
      ['configured_topics_total', 'int'],
      ['custom_fields', 'map<string,string>'],
      ['raw', 'string'],
      ['archived_at', 'timestamp'],
      ['window_start', 'timestamp'],
      ['window_end', 'timestamp'],
      ['run_id', 'string'],
      ['schema_version', 'int'],
    ],
  },
]);

/** A parsed Hive type. */
type HiveNode =
  | { readonly kind: 'primitive'; readonly name: string }
  | { readonly kind: 'array'; readonly element: HiveNode }
  | { readonly kind: 'map'; readonly key: HiveNode; readonly value: HiveNode }
  | { readonly kind: 'struct'; readonly fields: readonly (readonly [string, HiveNode])[] };

/** Parses one Hive type at `text[at]`; returns the node and the index after it. */
function parseAt(text: string, at: number): [HiveNode, number] {
  const expect = (char: string, i: number): number => {
    if (text[i] !== char) throw new Error(`"${char}" expected at ${i} in ${text}`);
    return i + 1;
  };
  const word = /^[a-z0-9_]+/.exec(text.slice(at))?.[0];
  if (word === undefined) throw new Error(`a type expected at ${at} in ${text}`);
  let i = at + word.length;
  if (word === 'array') {
    const [element, next] = parseAt(text, expect('<', i));
    return [{ kind: 'array', element }, expect('>', next)];
  }
  if (word === 'map') {
    const [key, afterKey] = parseAt(text, expect('<', i));
    const [value, next] = parseAt(text, expect(',', afterKey));
    return [{ kind: 'map', key, value }, expect('>', next)];
  }
  if (word !== 'struct') return [{ kind: 'primitive', name: word }, i];
  const fields: [string, HiveNode][] = [];
  i = expect('<', i);
  for (;;) {
    const name = /^[a-z0-9_]+/.exec(text.slice(i))?.[0];
    if (name === undefined) throw new Error(`a field name expected at ${i} in ${text}`);
    const [type, next] = parseAt(text, expect(':', i + name.length));
    fields.push([name, type]);
    if (text[next] === ',') i = next + 1;
    else return [{ kind: 'struct', fields }, expect('>', next)];
  }
}

function parseHive(text: string): HiveNode {
  const [node, end] = parseAt(text, 0);
  if (end !== text.length) throw new Error(`unexpected text at ${end} in ${text}`);
  return node;
}

function nodeExtends(before: HiveNode, after: HiveNode): boolean {
  switch (before.kind) {
    case 'primitive':
      return after.kind === 'primitive' && after.name === before.name;
    case 'array':
      return after.kind === 'array' && nodeExtends(before.element, after.element);
    case 'map':
      return after.kind === 'map' && nodeExtends(before.key, after.key) && nodeExtends(before.value, after.value);
    case 'struct':
      return (
        after.kind === 'struct' &&
        after.fields.length >= before.fields.length &&
        before.fields.every(([name, type], i) => after.fields[i]?.[0] === name && nodeExtends(type, after.fields[i]?.[1] as HiveNode))
      );
  }
}

/**
 * True when a column of Hive type `after` still reads every line written as `before`: the same type, or
 * structs (at any depth) with fields appended at their end.
 */
export function typeExtends(before: string, after: string): boolean {
  return nodeExtends(parseHive(before), parseHive(after));
}

type Columns = SchemaVersionRecord['columns'];

/** What keeps `after` from being `before` with columns appended (or struct fields appended), if anything. */
function extensionProblems(before: Columns, after: Columns, label: string): string[] {
  const problems: string[] = [];
  before.forEach(([name, type], i) => {
    const now = after[i];
    if (now === undefined) problems.push(`${label}: column ${name} was removed (columns are never removed)`);
    else if (now[0] !== name) problems.push(`${label}: column ${i + 1} was ${name} and is now ${now[0]} (columns are never renamed, moved or removed)`);
    else if (!typeExtends(type, now[1])) problems.push(`${label}: column ${name} changed type from ${type} to ${now[1]} (a change of meaning is a new column)`);
  });
  return problems;
}

function sameColumns(a: Columns, b: Columns): boolean {
  return a.length === b.length && a.every(([name, type], i) => b[i]?.[0] === name && b[i]?.[1] === type);
}

/**
 * Checks the schema evolution rules: the history's versions are 1, 2, ... each extending the one before,
 * the current columns are exactly the last version's, and `currentVersion` is that version. Returns one
 * line per problem, each saying what to do; empty when the rules hold.
 */
export function evolutionProblems(history: readonly SchemaVersionRecord[], current: Columns, currentVersion: number): string[] {
  const problems: string[] = [];
  history.forEach((record, i) => {
    if (record.version !== i + 1) problems.push(`schema history: version ${record.version} is entry ${i + 1}; versions are 1, 2, 3, ...`);
    const previous = history[i - 1];
    if (previous === undefined) return;
    problems.push(...extensionProblems(previous.columns, record.columns, `version ${record.version}`));
    if (sameColumns(previous.columns, record.columns)) problems.push(`version ${record.version} records no change; remove it`);
  });
  const last = history.at(-1);
  if (last === undefined) return [...problems, 'schema history is empty; record version 1'];
  if (!sameColumns(last.columns, current)) {
    const broken = extensionProblems(last.columns, current, 'the current columns');
    problems.push(
      ...(broken.length > 0
        ? broken
        : [`the columns differ from version ${last.version}: record them as version ${last.version + 1} in schema-history.ts and set SCHEMA_VERSION to ${last.version + 1}`]),
    );
  } else if (currentVersion !== last.version) {
    problems.push(`SCHEMA_VERSION is ${currentVersion} but the columns are version ${last.version}; set SCHEMA_VERSION to ${last.version}`);
  }
  return problems;
}
