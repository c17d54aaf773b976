import { PagingError } from '../errors';
import type { PagingMode } from '../config';
import type { RawDataEnvelope } from './envelope';

/** The paging fields of one request body. Exactly one of them advances; the other stays neutral. */
export interface PageParams {
  readonly page: number;
  readonly offset: number;
}

/**
 * Paging parameters of the `index`-th request (1-based) of a pass: by page, `{ page: index, offset: 0 }`;
 * by offset, `{ page: 1, offset }` where `offset` is the number of records received so far in the pass.
 */
export function pageParams(mode: PagingMode, index: number, receivedSoFar: number): PageParams {
  return mode === 'page' ? { page: index, offset: 0 } : { page: 1, offset: receivedSoFar };
}

/**
 * Most requests one pass may make, from the totals of its first page: twice the expected page
 * count plus two. Generous enough for contacts added while paging, small enough to stop a loop.
 */
export function pageCap(first: Pick<RawDataEnvelope, 'totalResults' | 'totalPages'>, limit: number): number {
  return 2 * Math.max(first.totalPages, Math.ceil(first.totalResults / limit)) + 2;
}

/**
 * Whether the pass is over after its `index`-th page: `hasMore` is false, the page was empty, or the
 * last page was reached (by page: `index >= totalPages`; by offset: everything up to `totalResults` received).
 */
export function isLastPage(mode: PagingMode, index: number, page: RawDataEnvelope, receivedIncludingPage: number): boolean {
  if (!page.hasMore || page.results.length === 0) return true;
  return mode === 'page' ? index >= page.totalPages : receivedIncludingPage >= page.totalResults;
}

/** Where the pass is, for messages. */
export interface PassContext {
  readonly streamId: string;
  readonly windowLabel: string;
  readonly mode: PagingMode;
}

/**
 * Follows one pass over a window: enforces the page cap and the page-repeat check, and decides
 * afterwards whether the pass saw the whole window.
 */
export class PassTracker {
  #first: { totalResults: number; totalPages: number } | undefined;
  #cap = Number.POSITIVE_INFINITY;
  #pages = 0;
  #previousKeys: readonly string[] | undefined;
  #previousTotals: { totalResults: number; totalPages: number } | undefined;
  #totalsChanged = false;
  #lastTotalResults = 0;
  readonly #distinct = new Set<string>();

  constructor(
    private readonly context: PassContext,
    private readonly limit: number,
  ) {}

  /**
   * Records one page (with the dedupe keys of its records, in order).
   *
   * @throws {PagingError} when the page cap is exceeded, or the page repeats the previous page exactly
   *   while the totals stayed the same (the API ignored the paging parameter).
   */
  add(page: RawDataEnvelope, keys: readonly string[]): void {
    this.#pages += 1;
    const totals = { totalResults: page.totalResults, totalPages: page.totalPages };
    if (this.#first === undefined) {
      this.#first = totals;
      this.#cap = pageCap(totals, this.limit);
    } else if (totals.totalResults !== this.#first.totalResults || totals.totalPages !== this.#first.totalPages) {
      this.#totalsChanged = true;
    }
    if (this.#pages > this.#cap) {
      throw new PagingError(
        `stream ${this.context.streamId}, window ${this.context.windowLabel}: stopped after ${this.#cap} pages, ` +
          `the most the first page's totals (${this.#first.totalResults} results, ${this.#first.totalPages} pages) allow`,
      );
    }
    // Identical consecutive pages under unchanged totals mean the paging field is ignored. If the
    // totals moved, contacts were inserted in between and shifted the same records into view: the
    // verification pass takes care of that case.
    const sameTotals =
      this.#previousTotals !== undefined &&
      this.#previousTotals.totalResults === totals.totalResults &&
      this.#previousTotals.totalPages === totals.totalPages;
    if (sameTotals && keys.length > 0 && this.#previousKeys !== undefined && sameList(keys, this.#previousKeys)) {
      const field = this.context.mode === 'page' ? 'page' : 'offset';
      const other = this.context.mode === 'page' ? 'offset' : 'page';
      throw new PagingError(
        `stream ${this.context.streamId}, window ${this.context.windowLabel}: page ${this.#pages} repeated page ${this.#pages - 1} exactly; ` +
          `the API seems to ignore the "${field}" parameter (try KORE_PAGING_MODE=${other})`,
      );
    }
    this.#previousKeys = keys;
    this.#previousTotals = totals;
    this.#lastTotalResults = totals.totalResults;
    for (const key of keys) this.#distinct.add(key);
  }

  /** Requests made so far in this pass. */
  get pages(): number {
    return this.#pages;
  }

  /** Distinct records (by dedupe key) this pass received. */
  get distinctRecords(): number {
    return this.#distinct.size;
  }

  /** True when the totals changed during the pass. */
  get totalsChanged(): boolean {
    return this.#totalsChanged;
  }

  /**
   * True when the pass may have missed contacts: its totals changed, or it received fewer distinct
   * records than the last `totalResults` said there were.
   */
  needsAnotherPass(): boolean {
    return this.#totalsChanged || this.#distinct.size < this.#lastTotalResults;
  }

  /** One line on why another pass is needed, for the error after the last pass. */
  describe(): string {
    return this.#totalsChanged
      ? 'the totals changed while paging'
      : `${this.#distinct.size} distinct contacts received, ${this.#lastTotalResults} announced`;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
