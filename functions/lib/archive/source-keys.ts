/**
 * Reading a contact's keys the way the schema names them, compiled once. A {@link KeyScope} holds every key
 * spelling the schema (and the operator's aliases) declare for one kind of object (the contact, an agent, a
 * metric, ...), already in matching form. Reading an object whose keys are spelled exactly as declared costs
 * one property lookup per field and builds no index; only keys spelled some other way (`conversation_id` for
 * `Conversation ID`) are put in matching form, and keys that match nothing are reported as drift.
 */
import { keyForm } from '../kore/record';

/** A JSON object as parsed (keys are data: never assign them to a literal, `__proto__` may be one). */
export type PlainObject = Record<string, unknown>;

/** True for a JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One source key compiled for a scope: its matching form and every declared spelling of that form. */
export interface CompiledKey {
  readonly form: string;
  /** Spellings tried as exact property names, in declaration order (shared by every key of this form). */
  readonly spellings: readonly string[];
}

/** The keys declared for one kind of object. Build it with every spelling first, then read objects. */
export class KeyScope {
  readonly #spellings = new Map<string, string[]>();
  readonly #exact = new Set<string>();

  /** Declares a spelling (a source key or an alias) and returns it compiled. Empty forms match nothing. */
  declare(spelling: string): CompiledKey {
    const form = keyForm(spelling);
    let spellings = this.#spellings.get(form);
    if (spellings === undefined) {
      spellings = [];
      this.#spellings.set(form, spellings);
    }
    if (!spellings.includes(spelling)) spellings.push(spelling);
    this.#exact.add(spelling);
    return { form, spellings };
  }

  /** True when `key` is one of the declared spellings (no form computed). */
  hasExact(key: string): boolean {
    return this.#exact.has(key);
  }

  /** True when some declared spelling has this matching form. */
  hasForm(form: string): boolean {
    return this.#spellings.has(form);
  }

  /**
   * A view of `object` for reading declared keys. Every key of the object that the scope does not know is
   * added to `unknown` as `prefix + key` (`prefix` is `""` for the contact, e.g. `agents[].` for an agent).
   */
  view(object: PlainObject, prefix: string, unknown: Set<string>): KeyView {
    let loose: Map<string, unknown> | undefined;
    // for-in walks a parsed object's keys without allocating the array Object.keys would (JSON objects inherit no
    // enumerable keys); every object of every contact is listed here, once.
    for (const key in object) {
      if (this.#exact.has(key)) continue;
      const form = keyForm(key);
      if (!this.#spellings.has(form)) {
        unknown.add(prefix + key);
        continue;
      }
      loose ??= new Map();
      // The first key of the object wins when two loose spellings share a form.
      if (!loose.has(form)) loose.set(form, object[key]);
    }
    return new KeyView(object, loose);
  }
}

/** Reads compiled keys of one object: an exact spelling first, then a loosely spelled key of the same form. */
export class KeyView {
  constructor(
    private readonly object: PlainObject,
    private readonly loose: ReadonlyMap<string, unknown> | undefined,
  ) {}

  /** The value of the key, or undefined when the object does not have it (null stays null). */
  get(key: CompiledKey): unknown {
    const spellings = key.spellings;
    for (let i = 0; i < spellings.length; i++) {
      const spelling = spellings[i] as string;
      const value = this.object[spelling];
      // Inherited names (`constructor`, `__proto__`) must never read as keys: what an object inherits is a function
      // or an object, so the own-property check only runs for those (most values read are text or numbers).
      if (value !== undefined && ((typeof value !== 'object' && typeof value !== 'function') || Object.hasOwn(this.object, spelling))) return value;
    }
    return this.loose?.get(key.form);
  }

  /** The value of the first key (in preference order) the object has, or undefined. */
  first(keys: readonly CompiledKey[]): unknown {
    for (let i = 0; i < keys.length; i++) {
      const value = this.get(keys[i] as CompiledKey);
      if (value !== undefined) return value;
    }
    return undefined;
  }
}
