/**
 * The consistency checks of one plain pass over a range (see window-reader.ts): a pass is trusted only when no
 * record repeats across its pages, no page is short while `hasMore`, its totals never change, and it holds as
 * many distinct contacts as announced. Its state carries over to the next invocation of a continued hour.
 */
import type { RawDataEnvelope } from './envelope';
import type { PassSnapshot } from './reader-position';
import { recordKey } from './record';

/** Watches one plain pass for signs that its result moved or is not ordered stably. */
export class PassWatch {
  readonly #keys = new Set<string>();
  /** Distinct keys of a resumed pass whose keys were not handed back (a pass that ended before slices). */
  #distinctResumed = 0;
  #repeats = 0;
  #shortWithMore = 0;
  #totals: string | undefined;
  #totalsChanged = false;
  #lastTotal = 0;
  /** Every record's key in the order received, repeats included. */
  readonly #order: string[] = [];
  maxTotal = 0;

  /** `resumed`: the state of a pass an earlier invocation began; `keys`: the keys that pass saw. */
  constructor(
    private readonly limit: number,
    resumed?: PassSnapshot,
    keys?: Iterable<string>,
  ) {
    if (resumed === undefined) return;
    for (const key of keys ?? []) this.#keys.add(key);
    this.#distinctResumed = resumed.distinct;
    this.#repeats = resumed.repeats;
    this.#shortWithMore = resumed.shortWithMore;
    this.#totals = resumed.totals ?? undefined;
    this.#totalsChanged = resumed.totalsChanged;
    this.#lastTotal = resumed.lastTotal;
    this.maxTotal = resumed.maxTotal;
  }

  /** What a later invocation needs to go on judging this pass (its keys are kept by the reader's `seen`). */
  snapshot(): PassSnapshot {
    return {
      distinct: this.distinct,
      repeats: this.#repeats,
      shortWithMore: this.#shortWithMore,
      totals: this.#totals ?? null,
      totalsChanged: this.#totalsChanged,
      lastTotal: this.#lastTotal,
      maxTotal: this.maxTotal,
    };
  }

  add(page: RawDataEnvelope): void {
    const totals = `${page.totalResults}/${page.totalPages}`;
    if (this.#totals !== undefined && totals !== this.#totals) this.#totalsChanged = true;
    this.#totals ??= totals;
    this.#lastTotal = page.totalResults;
    this.maxTotal = Math.max(this.maxTotal, page.totalResults);
    if (page.hasMore && page.results.length < this.limit) this.#shortWithMore += 1;
    for (const contact of page.results) {
      const key = recordKey(contact);
      this.#order.push(key);
      if (this.#keys.has(key)) this.#repeats += 1;
      else this.#keys.add(key);
    }
  }

  get distinct(): number {
    return Math.max(this.#keys.size, this.#distinctResumed);
  }

  /** The distinct keys of the pass. */
  get keys(): ReadonlySet<string> {
    return this.#keys;
  }

  /** `totalResults/totalPages` of the pass's first page. */
  get totals(): string | undefined {
    return this.#totals;
  }

  get totalsChanged(): boolean {
    return this.#totalsChanged;
  }

  /** The keys in the order received, repeats included: two passes with the same sequence got the same answer. */
  get sequence(): string {
    return this.#order.join('\n');
  }

  /** Why this pass cannot be trusted; empty when it can. */
  signs(): string[] {
    const signs: string[] = [];
    if (this.#repeats > 0) signs.push(`${this.#repeats} records repeated across pages`);
    if (this.#shortWithMore > 0) signs.push(`${this.#shortWithMore} short pages with hasMore`);
    if (this.#totalsChanged) signs.push('totals changed while paging');
    if (this.distinct < this.#lastTotal) signs.push(`${this.distinct} distinct contacts of ${this.#lastTotal} announced`);
    return signs;
  }
}
