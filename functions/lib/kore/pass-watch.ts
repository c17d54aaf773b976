/**
 * The consistency checks of one plain pass over a range (see window-reader.ts): a pass is trusted only when no
 * record repeats across its pages, no page is short while `hasMore`, its totals never change, and it holds as
 * many distinct contacts as announced. Its state carries over to the next invocation of a continued hour.
 */
import { createHash, type Hash } from 'node:crypto';
import type { RawDataEnvelope } from './envelope';
import type { PassSnapshot } from './reader-position';

/** Watches one plain pass for signs that its result moved or is not ordered stably. */
export class PassWatch {
  /**
   * The pass's distinct keys. The whole window's pass shares the reader's own set of keys seen (the same keys, so
   * an hour of contacts is not remembered twice); the reader adds a page's keys right after {@link add}.
   */
  readonly #keys: Set<string>;
  readonly #shared: boolean;
  /** Distinct keys of a resumed pass whose keys were not handed back (a pass that ended before slices). */
  #distinctResumed = 0;
  #repeats = 0;
  #shortWithMore = 0;
  #totals: string | undefined;
  #totalsChanged = false;
  #lastTotal = 0;
  /** Every record's key in the order received, repeats included, as a digest (see {@link sequence}; not kept for a shared set). */
  readonly #order: Hash = createHash('sha256');
  #sequence: string | undefined;
  maxTotal = 0;

  /**
   * `resumed`: the state of a pass an earlier invocation began (its keys, when they matter, are in `shared`).
   * `shared`: the reader's set of keys seen, used as the pass's own (the reader adds each page's keys after `add`).
   */
  constructor(
    private readonly limit: number,
    resumed?: PassSnapshot,
    options: { readonly shared?: Set<string> } = {},
  ) {
    this.#shared = options.shared !== undefined;
    this.#keys = options.shared ?? new Set<string>();
    if (resumed === undefined) return;
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

  /** Notes one page of the pass; `keys` are its records' keys (`recordKey`), in order. */
  add(page: RawDataEnvelope, keys: readonly string[]): void {
    if (this.#sequence !== undefined) throw new Error('PassWatch: a page added after the sequence was read');
    const totals = `${page.totalResults}/${page.totalPages}`;
    if (this.#totals !== undefined && totals !== this.#totals) this.#totalsChanged = true;
    this.#totals ??= totals;
    this.#lastTotal = page.totalResults;
    this.maxTotal = Math.max(this.maxTotal, page.totalResults);
    if (page.hasMore && page.results.length < this.limit) this.#shortWithMore += 1;
    // A shared set is filled by the reader after this call, so a key twice on this page is caught here.
    const onPage = this.#shared ? new Set<string>() : this.#keys;
    for (const key of keys) {
      if (!this.#shared) this.#order.update(key).update('\n');
      if (this.#keys.has(key) || (this.#shared && onPage.has(key))) this.#repeats += 1;
      else onPage.add(key);
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

  /**
   * The keys in the order received, repeats included, as a digest: two passes with the same sequence got the same
   * answer. Read once the pass has ended; the whole window's pass (a shared set) does not keep it.
   */
  get sequence(): string {
    if (this.#shared) throw new Error('PassWatch: the whole window\'s pass keeps no sequence');
    this.#sequence ??= this.#order.digest('base64');
    return this.#sequence;
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
