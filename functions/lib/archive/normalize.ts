/**
 * Turns a contact into one archive row whose every value agrees with the column types declared in
 * schema.ts. Nothing is ever dropped: the `raw` column is the contact's exact JSON text as the API sent it;
 * a value that does not fit its type becomes null and a problem names the column (or struct field) and the
 * kind of misfit; a key the schema does not map is reported as drift (its path, never its value). Problems
 * and drift never contain a value, so they are safe to log.
 *
 * The schema (with the operator's aliases) is compiled once per {@link createNormalizer}: source keys are
 * put in matching form once, an object is indexed only for keys not spelled exactly as declared, and
 * problem paths are rendered only when a problem occurs.
 */
import type { ApiContact, TimeWindow } from '../types';
import { NO_ALIASES, aliasesOf, type ColumnAliases } from './aliases';
import { Pass, coerce, type At, type FieldPlan, type Plan } from './coerce';
import type { ContactDrift } from './drift';
import { COMPUTED_FIELDS, RESHAPED_COLUMNS } from './reshape';
import { COLUMN_SPECS, SCHEMA_VERSION, type ColumnSpec, type ColumnType } from './schema';
import { KeyScope, KeyView, isPlainObject, type CompiledKey } from './source-keys';

/** Who archived a contact and for which window; fills the ingestion columns. */
export interface IngestContext {
  readonly streamId: string;
  readonly window: TimeWindow;
  readonly runId: string;
  readonly archivedAt: Date;
}

/** One line of the archive: keys are exactly the schema's column names, in order; absent values are null. */
export type ArchiveRow = Readonly<Record<string, unknown>>;

/** The row of one contact, its conversation id (for logs), what did not fit the schema and what it lacks. */
export interface NormalizeResult {
  readonly row: ArchiveRow;
  readonly conversationId: string | undefined;
  /** e.g. `kore_evaluation_score: not a number`, `agents[0].agent_start_time: not a valid timestamp`. */
  readonly problems: readonly string[];
  readonly drift: ContactDrift;
}

/** Normalizes contacts with one compiled schema (and its aliases). */
export interface ContactNormalizer {
  /** A contact fetched by a run: the ingestion columns come from `ctx`. */
  readonly normalize: (contact: ApiContact, ctx: IngestContext) => NormalizeResult;
  /**
   * A contact archived before (see reprocess.ts): the ingestion columns are taken from `stored` as they
   * are (null when absent), except `schema_version`, which names the schema the row is now derived with.
   */
  readonly rebuild: (contact: ApiContact, stored: Readonly<Record<string, unknown>>) => NormalizeResult;
}

/** A source of an `api` column: a key of the contact, or a key inside an object under one. */
type Source =
  | { readonly key: CompiledKey }
  | { readonly key: CompiledKey; readonly nested: NestedScope; readonly inner: CompiledKey };

/** The keys known inside an object the normalizer reads through (e.g. `Configured_Intents`). */
interface NestedScope {
  readonly scope: KeyScope;
  /** Unknown keys inside are reported as `prefix + key`, e.g. `configured_intents.`. */
  readonly prefix: string;
}

interface CompiledColumn {
  readonly spec: ColumnSpec;
  readonly plan: Plan;
  readonly sources: readonly Source[];
  readonly nested: NestedScope | undefined;
}

interface CompiledSchema {
  readonly top: KeyScope;
  readonly columns: readonly CompiledColumn[];
}

function compileType(type: ColumnType, at: At, address: string, depth: number, aliases: ColumnAliases): Plan {
  switch (type.kind) {
    case 'array':
      return {
        kind: 'array',
        depth,
        at,
        element: compileType(type.element, { column: at.column, template: `${at.template}[]` }, address, depth + 1, aliases),
      };
    case 'map':
      return { kind: 'map', at, value: compileType(type.value, { column: at.column, template: `${at.template}{}` }, address, depth, aliases) };
    case 'struct': {
      const scope = new KeyScope();
      const fields = type.fields.map((field): FieldPlan => {
        const fieldAddress = `${address}.${field.name}`;
        const plan = compileType(field.type, { column: at.column, template: `${at.template}.${field.name}` }, fieldAddress, depth, aliases);
        const computed = COMPUTED_FIELDS[fieldAddress];
        if (computed !== undefined) return { name: field.name, plan, keys: [], compute: computed(scope) };
        const spellings = [...field.from.map((key) => plainKey(key, fieldAddress)), ...aliasesOf(aliases, fieldAddress)];
        return { name: field.name, plan, keys: spellings.map((s) => scope.declare(s)) };
      });
      return { kind: 'struct', scope, fields, prefix: `${at.template}.`, at };
    }
    default:
      return { kind: 'value', type, at };
  }
}

function plainKey(key: string | readonly string[], address: string): string {
  // A schema-author error, caught by every normalize test.
  if (typeof key !== 'string') throw new Error(`normalize: a key path is only supported for a column, not for ${address}`);
  return key;
}

/** Compiles the schema with the aliases: every key declared once, in matching form. */
function compile(aliases: ColumnAliases): CompiledSchema {
  const top = new KeyScope();
  const nestedByForm = new Map<string, NestedScope>();
  const nestedUnder = (key: CompiledKey, column: string): NestedScope => {
    let nested = nestedByForm.get(key.form);
    if (nested === undefined) {
      // The first column reading inside the object names it in the drift report.
      nested = { scope: new KeyScope(), prefix: `${column}.` };
      nestedByForm.set(key.form, nested);
    }
    return nested;
  };

  const columns = COLUMN_SPECS.map((spec): CompiledColumn => {
    const plan = compileType(spec.type, { column: spec.name, template: spec.name }, spec.name, 0, aliases);
    const sources = [...spec.from, ...aliasesOf(aliases, spec.name)].map((from): Source => {
      if (typeof from === 'string') return { key: top.declare(from) };
      const [outer, inner, ...rest] = from;
      if (outer === undefined || inner === undefined || rest.length > 0) throw new Error(`normalize: key paths of ${spec.name} must have two keys`);
      const key = top.declare(outer);
      const nested = nestedUnder(key, spec.name);
      return { key, nested, inner: nested.scope.declare(inner) };
    });
    const reshaper = RESHAPED_COLUMNS[spec.name];
    let nested: NestedScope | undefined;
    if (reshaper !== undefined) {
      const first = sources[0];
      if (first === undefined) throw new Error(`normalize: reshaped column ${spec.name} has no source key`);
      nested = nestedUnder(first.key, spec.name);
      for (const key of reshaper.rootKeys) nested.scope.declare(key);
    }
    return { spec, plan, sources, nested };
  });
  return { top, columns };
}

function readSource(sources: readonly Source[], view: KeyView, pass: Pass): unknown {
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i] as Source;
    let value = view.get(source.key);
    if ('nested' in source) {
      value = isPlainObject(value) ? source.nested.scope.view(value, source.nested.prefix, pass.unknownKeys).get(source.inner) : undefined;
    }
    if (value !== undefined) return value;
  }
  return undefined;
}

function apiValue(column: CompiledColumn, view: KeyView, pass: Pass): unknown {
  const value = readSource(column.sources, view, pass);
  const reshaper = RESHAPED_COLUMNS[column.spec.name];
  return reshaper !== undefined && column.nested !== undefined ? reshaper.reshape(value, pass, column.nested) : value;
}

function freshIngestionValue(name: string, ctx: IngestContext): unknown {
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

const EMPTY_VIEW = new KeyView({}, undefined);
/** The drift of a contact that has none, shared: most contacts. */
const NO_DRIFT: ContactDrift = Object.freeze({ unknownKeys: Object.freeze([]), typeMisfits: Object.freeze([]) });

function run(schema: CompiledSchema, contact: ApiContact, ingestion: (column: CompiledColumn, pass: Pass) => unknown): NormalizeResult {
  const pass = new Pass();
  const value: unknown = contact.value;
  let view = EMPTY_VIEW;
  if (isPlainObject(value)) view = schema.top.view(value, '', pass.unknownKeys);
  else pass.problemAt('', 'contact', 'not an object');

  const row: Record<string, unknown> = {};
  const columns = schema.columns;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as CompiledColumn;
    const { name, origin } = column.spec;
    if (origin === 'contact') row[name] = contact.text;
    else if (origin === 'ingestion') row[name] = ingestion(column, pass);
    else row[name] = coerce(column.plan, apiValue(column, view, pass), pass);
  }
  const id = row.conversation_id;
  return {
    row,
    conversationId: typeof id === 'string' && id !== '' ? id : undefined,
    problems: pass.problems,
    drift: pass.unknownKeys.size === 0 && pass.misfits.size === 0 ? NO_DRIFT : { unknownKeys: [...pass.unknownKeys], typeMisfits: [...pass.misfits] },
  };
}

/** Compiles the schema with `aliases` (see aliases.ts) once, for normalizing any number of contacts. */
export function createNormalizer(options: { readonly aliases?: ColumnAliases } = {}): ContactNormalizer {
  const schema = compile(options.aliases ?? NO_ALIASES);
  return Object.freeze({
    normalize: (contact: ApiContact, ctx: IngestContext) =>
      run(schema, contact, (column, pass) => coerce(column.plan, freshIngestionValue(column.spec.name, ctx), pass)),
    rebuild: (contact: ApiContact, stored: Readonly<Record<string, unknown>>) =>
      run(schema, contact, ({ spec }) =>
        spec.name === 'schema_version' ? SCHEMA_VERSION : Object.hasOwn(stored, spec.name) ? (stored[spec.name] ?? null) : null,
      ),
  });
}

const DEFAULT_NORMALIZER = createNormalizer();

/**
 * Normalizes one contact with the schema alone (no aliases). Pure and synchronous; the output is plain JSON
 * data (no Date, no BigInt), so `JSON.stringify(row)` is the line to write.
 */
export function normalizeContact(contact: ApiContact, ctx: IngestContext): NormalizeResult {
  return DEFAULT_NORMALIZER.normalize(contact, ctx);
}
