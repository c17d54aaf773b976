/**
 * Schema drift, seen rather than suffered: the keys contacts carry that the schema does not map, and the
 * columns whose values stopped fitting their type. The normalizer reports both per contact; a
 * {@link DriftCollector} counts them over a window for the manifest and the metrics. Keys are paths of
 * key names (`Foo Bar`, `agents[].Foo Bar`), never values.
 */

/** What one contact carried that the schema did not take. */
export interface ContactDrift {
  /**
   * Keys no column (and no alias) maps: top-level keys as the contact spells them, and keys inside the
   * nested objects the schema reads, as paths like `agents[].Foo Bar` or `configured_intents.topics[].x`.
   * Keys of free-form maps (`custom_fields`) are data and never reported. Each path at most once.
   */
  readonly unknownKeys: readonly string[];
  /** Columns holding at least one value that did not fit its type (and became null). Each at most once. */
  readonly typeMisfits: readonly string[];
}

/** Drift over a window: how many contacts carried each unknown key, and had a misfit in each column. */
export interface DriftReport {
  readonly unknownKeys: Record<string, number>;
  readonly typeMisfits: Record<string, number>;
}

/**
 * The most distinct unknown keys one report names; further keys are counted under {@link MORE_KEYS}, so a
 * vendor sending data as keys (ids, timestamps) cannot blow up a manifest.
 */
export const MAX_UNKNOWN_KEYS = 200;

/** The key counting contacts with unknown keys beyond {@link MAX_UNKNOWN_KEYS}. */
export const MORE_KEYS = '(more keys)';

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function sortedRecord(counts: ReadonlyMap<string, number>): Record<string, number> {
  // fromEntries defines own keys, so a key named `__proto__` is counted, not turned into a prototype.
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Counts the drift of a window's contacts. */
export class DriftCollector {
  readonly #unknownKeys = new Map<string, number>();
  readonly #typeMisfits = new Map<string, number>();

  /** Counts one contact's drift (a normalizer or rebuild result). */
  add(result: { readonly drift: ContactDrift }): void {
    let overflow = false;
    for (const key of result.drift.unknownKeys) {
      if (this.#unknownKeys.has(key) || this.#unknownKeys.size < MAX_UNKNOWN_KEYS) increment(this.#unknownKeys, key);
      else overflow = true;
    }
    if (overflow) increment(this.#unknownKeys, MORE_KEYS);
    for (const column of result.drift.typeMisfits) increment(this.#typeMisfits, column);
  }

  /** Adds the counts of an earlier report (an hour fetched across invocations). */
  restore(report: DriftReport): void {
    for (const [key, n] of Object.entries(report.unknownKeys)) this.#unknownKeys.set(key, (this.#unknownKeys.get(key) ?? 0) + n);
    for (const [key, n] of Object.entries(report.typeMisfits)) this.#typeMisfits.set(key, (this.#typeMisfits.get(key) ?? 0) + n);
  }

  /** The counts so far, keys sorted (empty objects when there was no drift). */
  report(): DriftReport {
    return { unknownKeys: sortedRecord(this.#unknownKeys), typeMisfits: sortedRecord(this.#typeMisfits) };
  }
}

/**
 * The keys not in `seen`, in order and each once; adds them to `seen`. Used to warn about a key (its name,
 * never its value) the first time it is seen: pass a set kept for the life of the process, seeded with
 * the keys already reported (e.g. by the previous manifest), and a report's or a contact's keys.
 */
export function firstSeen(seen: Set<string>, keys: Iterable<string>): string[] {
  const fresh: string[] = [];
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    fresh.push(key);
  }
  return fresh;
}
