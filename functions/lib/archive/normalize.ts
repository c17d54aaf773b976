/**
 * Turns a raw contact into one archive row whose every value agrees with the column types declared in
 * schema.ts. Nothing is ever dropped: a value that does not fit its type becomes null, a problem naming
 * the column (or struct field) and the kind of misfit is recorded, and the `raw` column keeps the contact
 * exactly as the API returned it. Problems never contain the offending value, so they are safe to log.
 */
import { parseApiTimestamp } from '../kore/dates';
import { keyForm } from '../kore/record';
import type { ApiContact, TimeWindow } from '../types';
import {
  COLUMN_SPECS,
  SCHEMA_VERSION,
  formatTimestamp,
  type ColumnSpec,
  type ColumnType,
  type NumberType,
  type SourceKey,
  type StructType,
} from './schema';

/** Who archived a contact and for which window; fills the ingestion columns. */
export interface IngestContext {
  readonly streamId: string;
  readonly window: TimeWindow;
  readonly runId: string;
  readonly archivedAt: Date;
}

/** One line of the archive: keys are exactly the schema's column names, in order; absent values are null. */
export type ArchiveRow = Readonly<Record<string, unknown>>;

/** The row of one contact, its conversation id (for logs) and what did not fit the schema. */
export interface NormalizeResult {
  readonly row: ArchiveRow;
  readonly conversationId: string | undefined;
  /** e.g. `kore_evaluation_score: not a number`, `agents[0].agent_start_time: not a valid timestamp`. */
  readonly problems: readonly string[];
}

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads keys of one object by their {@link keyForm}; the first key of the object wins on a clash. */
class KeyIndex {
  private readonly byForm = new Map<string, unknown>();

  constructor(object: PlainObject) {
    for (const [key, value] of Object.entries(object)) {
      const form = keyForm(key);
      if (!this.byForm.has(form)) this.byForm.set(form, value);
    }
  }

  /** The value of the first source key (or key path) present, or undefined. */
  read(keys: readonly SourceKey[]): unknown {
    for (const key of keys) {
      const value = typeof key === 'string' ? this.byForm.get(keyForm(key)) : this.readPath(key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  private readPath(path: readonly string[]): unknown {
    const [first, ...rest] = path;
    if (first === undefined) return undefined;
    const value = this.byForm.get(keyForm(first));
    if (rest.length === 0) return value;
    return isPlainObject(value) ? new KeyIndex(value).readPath(rest) : undefined;
  }
}

/** Text the API uses for "no value" in typed fields. */
const NO_VALUE = new Set(['', 'na', 'n/a', 'null']);

function isNoValue(value: string): boolean {
  return NO_VALUE.has(value.trim().toLowerCase());
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** Collects problems; every path starts with a column name. */
class Problems {
  readonly list: string[] = [];
  add(path: string, kind: string): null {
    this.list.push(`${path}: ${kind}`);
    return null;
  }
}

function coerceNumber(type: NumberType, value: unknown, path: string, problems: Problems): number | null {
  let n: number;
  if (typeof value === 'number') {
    n = value;
  } else if (typeof value === 'string') {
    if (isNoValue(value)) return null;
    let text = value.trim();
    const unit = type.units.find((u) => text.toLowerCase().endsWith(u.toLowerCase()));
    if (unit !== undefined) text = text.slice(0, text.length - unit.length).trim();
    if (!DECIMAL.test(text)) return problems.add(path, 'not a number');
    n = Number(text);
  } else {
    return problems.add(path, 'not a number');
  }
  if (!Number.isFinite(n)) return problems.add(path, 'not a finite number');
  if (type.kind === 'double') return n;
  if (!Number.isInteger(n)) return problems.add(path, 'not a whole number');
  if (type.kind === 'int' ? n < INT_MIN || n > INT_MAX : !Number.isSafeInteger(n)) {
    return problems.add(path, `out of range for ${type.kind}`);
  }
  // JSON has no negative zero; keep the line's text and the value in agreement.
  return n === 0 ? 0 : n;
}

function coerceBoolean(value: unknown, path: string, problems: Problems): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (isNoValue(text)) return null;
  }
  return problems.add(path, 'not a boolean');
}

function coerceTimestamp(value: unknown, path: string, problems: Problems): string | null {
  if (typeof value === 'string' && isNoValue(value)) return null;
  if (typeof value !== 'string' && typeof value !== 'number') return problems.add(path, 'not a valid timestamp');
  const date = parseApiTimestamp(value);
  if (date === undefined) return problems.add(path, 'not a valid timestamp');
  return formatTimestamp(date) ?? problems.add(path, 'timestamp out of range');
}

function coerceStruct(type: StructType, value: unknown, path: string, problems: Problems): PlainObject | null {
  if (!isPlainObject(value)) return problems.add(path, 'not an object');
  const index = new KeyIndex(value);
  const out: PlainObject = {};
  for (const field of type.fields) {
    out[field.name] = coerce(field.type, index.read(field.from), `${path}.${field.name}`, problems);
  }
  return out;
}

/**
 * Coerces a value to a DSL type. Absent and null values are null; a value that does not fit is null and
 * adds a problem. Lossless conversions (a number given as text, a number in a text column) are not problems.
 */
function coerce(type: ColumnType, value: unknown, path: string, problems: Problems): unknown {
  if (value === undefined || value === null) return null;
  switch (type.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return type.stringifyObjects ? JSON.stringify(value) : problems.add(path, 'not a string');
    case 'json':
      return JSON.stringify(value);
    case 'int':
    case 'bigint':
    case 'double':
      return coerceNumber(type, value, path, problems);
    case 'boolean':
      return coerceBoolean(value, path, problems);
    case 'timestamp':
      return coerceTimestamp(value, path, problems);
    case 'array':
      if (!Array.isArray(value)) return problems.add(path, 'not an array');
      return value.map((element, i) => coerce(type.element, element, `${path}[${i}]`, problems));
    case 'struct':
      return coerceStruct(type, value, path, problems);
    case 'map': {
      if (!isPlainObject(value)) return problems.add(path, 'not an object');
      const out: PlainObject = {};
      // Map keys are data, not schema names, so problems name the map and not the key.
      for (const [key, entry] of Object.entries(value)) out[key] = coerce(type.value, entry, `${path}{}`, problems);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reshaping of the columns whose API shape differs from their table shape
// ---------------------------------------------------------------------------------------------------------

/** Gives each generated intent a `kind` (`intent` or `topic`, after the key that carries its text). */
function reshapeGeneratedIntents(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((entry: unknown) => {
    if (!isPlainObject(entry)) return entry;
    const index = new KeyIndex(entry);
    const kind = index.read(['intent']) !== undefined ? 'intent' : index.read(['topic']) !== undefined ? 'topic' : null;
    return { ...entry, kind };
  });
}

function childList(index: KeyIndex, key: string, path: string, problems: Problems): readonly unknown[] {
  const value = index.read([key]);
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  problems.add(path, 'not an array');
  return [];
}

/**
 * Flattens the configured taxonomy (L1 topics holding L2 topics holding L3 topics) into one entry per
 * deepest path, so analysts can GROUP BY l1/l2/l3 with a single UNNEST. A level without children yields
 * one entry with the lower levels null. Values stay as the API gave them; coercion types them afterwards.
 */
function flattenConfiguredIntents(value: unknown, problems: Problems): unknown {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) return problems.add('configured_intents', 'not an object');
  const rootIndex = new KeyIndex(value);
  const topics = rootIndex.read(['topics']);
  if (topics === undefined || topics === null) return null;
  if (!Array.isArray(topics)) return problems.add('configured_intents.topics', 'not an array');

  const rows: unknown[] = [];
  topics.forEach((l1: unknown, i) => {
    const l1Path = `configured_intents.topics[${i}]`;
    if (!isPlainObject(l1)) {
      problems.add(l1Path, 'not an object');
      rows.push(null);
      return;
    }
    const l1Index = new KeyIndex(l1);
    const level1 = { l1_topic: l1Index.read(['topic_name', 'name']), l1_confidence: l1Index.read(['confidence_score', 'confidence']) };
    const l2s = childList(l1Index, 'l2_topics', `${l1Path}.l2_topics`, problems);
    if (l2s.length === 0) rows.push(level1);
    l2s.forEach((l2: unknown, j) => {
      const l2Path = `${l1Path}.l2_topics[${j}]`;
      if (!isPlainObject(l2)) {
        problems.add(l2Path, 'not an object');
        rows.push(level1);
        return;
      }
      const l2Index = new KeyIndex(l2);
      const level2 = {
        ...level1,
        l2_topic: l2Index.read(['topic_name', 'name']),
        l2_confidence: l2Index.read(['confidence_score', 'confidence']),
      };
      const l3s = childList(l2Index, 'l3_topics', `${l2Path}.l3_topics`, problems);
      if (l3s.length === 0) rows.push(level2);
      l3s.forEach((l3: unknown, k) => {
        if (!isPlainObject(l3)) {
          problems.add(`${l2Path}.l3_topics[${k}]`, 'not an object');
          rows.push(level2);
          return;
        }
        const l3Index = new KeyIndex(l3);
        rows.push({
          ...level2,
          l3_topic: l3Index.read(['topic_name', 'name']),
          l3_confidence: l3Index.read(['confidence_score', 'confidence']),
          l3_sentiment: l3Index.read(['sentiment']),
          l3_resolution: l3Index.read(['resolution']),
        });
      });
    });
  });
  return rows;
}

/** Columns whose API value is reshaped before it is coerced to the column's type. */
const RESHAPED_COLUMNS: Readonly<Record<string, (value: unknown, problems: Problems) => unknown>> = Object.freeze({
  generated_intents: (value: unknown) => reshapeGeneratedIntents(value),
  configured_intents: flattenConfiguredIntents,
});

function ingestionValue(name: string, ctx: IngestContext): unknown {
  switch (name) {
    case 'archived_at':
      return ctx.archivedAt.getTime();
    case 'window_start':
      return ctx.window.start.getTime();
    case 'window_end':
      return ctx.window.end.getTime();
    case 'run_id':
      return ctx.runId;
    case 'schema_version':
      return SCHEMA_VERSION;
    default:
      // A new ingestion column was declared in schema.ts without a value here: fail loudly in every test.
      throw new Error(`normalize: no value for ingestion column ${name}`);
  }
}

function sourceValue(spec: ColumnSpec, raw: unknown, index: KeyIndex, ctx: IngestContext, problems: Problems): unknown {
  switch (spec.origin) {
    case 'contact':
      return raw;
    case 'ingestion':
      return ingestionValue(spec.name, ctx);
    case 'api': {
      const value = index.read(spec.from);
      const reshape = RESHAPED_COLUMNS[spec.name];
      return reshape ? reshape(value, problems) : value;
    }
  }
}

/**
 * Normalizes one contact into an archive row (see the module comment). Pure and synchronous; the output is
 * plain JSON data (no Date, no BigInt), so `JSON.stringify(row)` is the line to write.
 */
export function normalizeContact(apiContact: ApiContact, ctx: IngestContext): NormalizeResult {
  const problems = new Problems();
  const contact: unknown = apiContact.value;
  if (!isPlainObject(contact)) problems.add('contact', 'not an object');
  const index = new KeyIndex(isPlainObject(contact) ? contact : {});

  const row: Record<string, unknown> = {};
  for (const spec of COLUMN_SPECS) {
    row[spec.name] = coerce(spec.type, sourceValue(spec, contact, index, ctx, problems), spec.name, problems);
  }
  // The contact exactly as sent: a re-serialisation could change numbers beyond 2^53, formatting or keys.
  if ('raw' in row) row.raw = apiContact.text;
  const id = row.conversation_id;
  return {
    row,
    conversationId: typeof id === 'string' && id !== '' ? id : undefined,
    problems: problems.list,
  };
}
