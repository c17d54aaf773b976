/**
 * Coercion of API values to the schema's column types, along plans compiled once per normalizer. A value
 * that does not fit its type becomes null and adds a problem naming the column (or struct field) and the
 * kind of misfit, never the value. Problem paths are rendered only when a problem occurs: the happy path
 * builds no strings.
 */
import { parseApiTimestamp } from '../kore/dates';
import { formatTimestamp, type BooleanType, type JsonTextType, type NumberType, type StringType, type TimestampType } from './schema';
import { isPlainObject, type CompiledKey, type KeyScope, type KeyView, type PlainObject } from './source-keys';

/** Where a value sits in the row: its column and a path template (`agents[].agent_start_time`). */
export interface At {
  /** The top-level column, counted as a type misfit when the value does not fit; `""` for the contact itself. */
  readonly column: string;
  /** The path with `[]` for each array level; the indices of the current element are filled in on a problem. */
  readonly template: string;
}

/** A plan for a leaf value. */
export interface ValuePlan {
  readonly kind: 'value';
  readonly type: StringType | JsonTextType | NumberType | BooleanType | TimestampType;
  readonly at: At;
}

/** A plan for a list: each element with the element's plan; `depth` is the number of lists above it. */
export interface ArrayPlan {
  readonly kind: 'array';
  readonly element: Plan;
  readonly depth: number;
  readonly at: At;
}

/** One field of a struct plan: read from the first of `keys` present, or computed from the object. */
export interface FieldPlan {
  readonly name: string;
  readonly plan: Plan;
  readonly keys: readonly CompiledKey[];
  readonly compute?: (view: KeyView) => unknown;
}

/** A plan for a nested object with fixed fields; unknown keys are reported as `prefix + key`. */
export interface StructPlan {
  readonly kind: 'struct';
  readonly scope: KeyScope;
  readonly fields: readonly FieldPlan[];
  readonly prefix: string;
  readonly at: At;
}

/** A plan for a map with free-form keys (data, never reported as drift). */
export interface MapPlan {
  readonly kind: 'map';
  readonly value: Plan;
  readonly at: At;
}

/** How one value is coerced to its column type. */
export type Plan = ValuePlan | ArrayPlan | StructPlan | MapPlan;

/** The state of normalizing one contact: problems, columns that misfit, unknown keys, current list indices. */
export class Pass {
  readonly problems: string[] = [];
  readonly misfits = new Set<string>();
  readonly unknownKeys = new Set<string>();
  /** Index of the current element at each list depth, read only to render a problem's path. */
  readonly indices: number[] = [];

  /** Records that the value at `at` did not fit (`kind` says how); returns null, the value it becomes. */
  problem(at: At, kind: string): null {
    let n = 0;
    const path = at.template.includes('[]') ? at.template.replace(/\[\]/g, () => `[${this.indices[n++] ?? ''}]`) : at.template;
    return this.problemAt(at.column, path, kind);
  }

  /** Like {@link problem}, for a path built by the caller (only when the problem occurs). */
  problemAt(column: string, path: string, kind: string): null {
    this.problems.push(`${path}: ${kind}`);
    if (column !== '') this.misfits.add(column);
    return null;
  }
}

/** Text the API uses for "no value" in typed (non-text) fields. */
const NO_VALUE = new Set(['', 'na', 'n/a', 'null']);

function isNoValue(value: string): boolean {
  return NO_VALUE.has(value.trim().toLowerCase());
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function coerceString(type: StringType, value: unknown, at: At, pass: Pass): string | null {
  if (typeof value === 'string') {
    return type.noValue.length > 0 && type.noValue.includes(value.trim().toLowerCase()) ? null : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return type.stringifyObjects ? JSON.stringify(value) : pass.problem(at, 'not a string');
}

function coerceNumber(type: NumberType, value: unknown, at: At, pass: Pass): number | null {
  let n: number;
  if (typeof value === 'number') {
    n = value;
  } else if (typeof value === 'string') {
    if (isNoValue(value)) return null;
    let text = value.trim();
    const unit = type.units.find((u) => text.toLowerCase().endsWith(u.toLowerCase()));
    if (unit !== undefined) text = text.slice(0, text.length - unit.length).trim();
    if (!DECIMAL.test(text)) return pass.problem(at, 'not a number');
    n = Number(text);
  } else {
    return pass.problem(at, 'not a number');
  }
  if (!Number.isFinite(n)) return pass.problem(at, 'not a finite number');
  if (type.kind !== 'double') {
    if (!Number.isInteger(n)) return pass.problem(at, 'not a whole number');
    if (type.kind === 'int' ? n < INT_MIN || n > INT_MAX : !Number.isSafeInteger(n)) {
      return pass.problem(at, `out of range for ${type.kind}`);
    }
  }
  const range = type.range;
  if (range !== undefined && (n < range.min || n > range.max)) return pass.problem(at, `outside ${range.min}..${range.max}`);
  // JSON has no negative zero; keep the line's text and the value in agreement.
  return n === 0 ? 0 : n;
}

function coerceBoolean(value: unknown, at: At, pass: Pass): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (isNoValue(text)) return null;
  }
  return pass.problem(at, 'not a boolean');
}

function coerceTimestamp(value: unknown, at: At, pass: Pass): string | null {
  if (typeof value === 'string' && isNoValue(value)) return null;
  if (typeof value !== 'string' && typeof value !== 'number') return pass.problem(at, 'not a valid timestamp');
  const date = parseApiTimestamp(value);
  if (date === undefined) return pass.problem(at, 'not a valid timestamp');
  return formatTimestamp(date) ?? pass.problem(at, 'timestamp out of range');
}

function coerceValue(plan: ValuePlan, value: unknown, pass: Pass): unknown {
  const { type, at } = plan;
  switch (type.kind) {
    case 'string':
      return coerceString(type, value, at, pass);
    case 'json':
      return JSON.stringify(value);
    case 'int':
    case 'bigint':
    case 'double':
      return coerceNumber(type, value, at, pass);
    case 'boolean':
      return coerceBoolean(value, at, pass);
    case 'timestamp':
      return coerceTimestamp(value, at, pass);
  }
}

/** Reads and coerces the fields of one object along a struct plan. */
function coerceStruct(plan: StructPlan, value: PlainObject, pass: Pass): PlainObject {
  const view = plan.scope.view(value, plan.prefix, pass.unknownKeys);
  const out: PlainObject = {};
  // Indexed loops here and in the other per-value paths: for-of left an iterator result per field on the heap.
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as FieldPlan;
    out[field.name] = coerce(field.plan, field.compute ? field.compute(view) : view.first(field.keys), pass);
  }
  return out;
}

function coerceArray(plan: ArrayPlan, value: readonly unknown[], pass: Pass): unknown[] {
  const out = new Array<unknown>(value.length);
  for (let i = 0; i < value.length; i++) {
    pass.indices[plan.depth] = i;
    out[i] = coerce(plan.element, value[i], pass);
  }
  return out;
}

function coerceMap(plan: MapPlan, value: PlainObject, pass: Pass): PlainObject {
  const out: PlainObject = {};
  for (const key in value) {
    const coerced = coerce(plan.value, value[key], pass);
    // Assigning `__proto__` would set the prototype: define it as the own key it is in the data.
    if (key === '__proto__') Object.defineProperty(out, key, { value: coerced, enumerable: true, writable: true, configurable: true });
    else out[key] = coerced;
  }
  return out;
}

/**
 * Coerces a value along its plan. Absent and null values are null; a value that does not fit is null and
 * adds a problem. Lossless conversions (a number given as text, a number in a text column) are not problems.
 */
export function coerce(plan: Plan, value: unknown, pass: Pass): unknown {
  if (value === undefined || value === null) return null;
  switch (plan.kind) {
    case 'value':
      return coerceValue(plan, value, pass);
    case 'array':
      return Array.isArray(value) ? coerceArray(plan, value, pass) : pass.problem(plan.at, 'not an array');
    case 'struct':
      return isPlainObject(value) ? coerceStruct(plan, value, pass) : pass.problem(plan.at, 'not an object');
    case 'map':
      if (!isPlainObject(value)) return pass.problem(plan.at, 'not an object');
      // Map keys are data (`__proto__` included): each stays an own key. Problems name the map, not the key.
      return coerceMap(plan, value, pass);
  }
}
