/**
 * Column aliases: extra source keys an operator maps to an existing column (or struct field) through
 * configuration, so a key the vendor renamed is typed again on the next run without a code change. The
 * schema's own keys keep precedence; an alias is read only when none of them is present.
 */
import { ConfigError } from '../errors';
import { keyForm } from '../kore/record';
import { COLUMN_SPECS, type ColumnType, type SourceKey } from './schema';
import { RESHAPED_COLUMNS } from './reshape';

/**
 * Source keys by target: a column name (`audit_status`), or a struct field inside one as a dotted path
 * (`agents.agent_id`, through lists). Each key is matched like the schema's own (case, spaces and
 * punctuation ignored).
 */
export type ColumnAliases = Readonly<Record<string, readonly string[]>>;

/** No aliases. */
export const NO_ALIASES: ColumnAliases = Object.freeze({});

const EXAMPLE = '{"audit_status": ["Audit State"], "agents.agent_id": ["Agent Key"]}';

/** What an alias target resolves to: the type read there and the keys the schema already reads it from. */
interface Target {
  readonly type: ColumnType;
  readonly from: readonly SourceKey[];
}

/** The struct fields a list or struct type exposes to a dotted path (lists are looked through). */
function fieldOf(type: ColumnType, name: string): Target | undefined {
  if (type.kind === 'array') return fieldOf(type.element, name);
  if (type.kind !== 'struct') return undefined;
  return type.fields.find((f) => f.name === name);
}

/** Resolves a target, or returns the reason it cannot take an alias (one clause, for the error message). */
function resolve(address: string): Target | string {
  const [columnName = '', ...fields] = address.split('.');
  const column = COLUMN_SPECS.find((c) => c.name === columnName);
  if (column === undefined) return `"${columnName}" is not a column of the table`;
  if (column.origin !== 'api') return `"${columnName}" is not read from the contact, so it takes no alias`;
  if (Object.hasOwn(RESHAPED_COLUMNS, columnName) || address === 'generated_intents.kind') {
    return `"${address}" is derived from the contact's shape, so it takes no alias`;
  }
  let target: Target = column;
  for (const name of fields) {
    const next = fieldOf(target.type, name);
    if (next === undefined) return `"${address}" names no field of column "${columnName}"`;
    target = next;
  }
  return target;
}

function fail(variable: string, problem: string): never {
  throw new ConfigError(variable, `${problem}; write a JSON object of column (or column.field) to source keys, e.g. ${EXAMPLE}`);
}

/**
 * Validates aliases given as a JSON text (`ARCHIVE_COLUMN_ALIASES`) or an already parsed value. A target
 * may list one key (a string) or several (an array).
 *
 * @throws {ConfigError} naming `variable`, the target or key at fault, and the fix
 */
export function parseColumnAliases(input: unknown, variable: string): ColumnAliases {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (error) {
      throw new ConfigError(variable, `is not valid JSON; write a JSON object of column (or column.field) to source keys, e.g. ${EXAMPLE}`, {
        cause: error,
      });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(variable, 'must be a JSON object');

  const entries: [string, readonly string[]][] = [];
  for (const [address, given] of Object.entries(value)) {
    const target = resolve(address);
    if (typeof target === 'string') fail(variable, `${target} (see the column reference in docs/schema.md)`);
    const keys: unknown[] = Array.isArray(given) ? given : [given];
    if (keys.length === 0) fail(variable, `"${address}" lists no key`);
    const own = new Set(target.from.map((k) => keyForm(typeof k === 'string' ? k : (k[0] ?? ''))));
    const seen = new Set<string>();
    for (const key of keys) {
      if (typeof key !== 'string' || keyForm(key) === '') {
        fail(variable, `"${address}" lists a key that is not text with a letter or digit (list keys as the API spells them)`);
      }
      const form = keyForm(key);
      if (own.has(form)) fail(variable, `"${address}": the key "${key}" is already read by the schema; remove it`);
      if (seen.has(form)) fail(variable, `"${address}": the key "${key}" is listed twice (keys match ignoring case and punctuation)`);
      seen.add(form);
    }
    entries.push([address, Object.freeze([...(keys as string[])])]);
  }
  return Object.freeze(Object.fromEntries(entries));
}

/** The alias keys of a target (none when it has no aliases). */
export function aliasesOf(aliases: ColumnAliases, address: string): readonly string[] {
  return Object.hasOwn(aliases, address) ? (aliases[address] ?? []) : [];
}
