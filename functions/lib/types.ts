/**
 * Small shared types that cross module boundaries (Kore client -> archive writer).
 */
import type { FetchControl } from './kore/reader-position';

/** A half-open UTC time window `[start, end)`. Archive windows are whole hours. */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/** A contact exactly as the Kore API returned it (keys with spaces and all). */
export type RawContact = Record<string, unknown>;

/** A contact as the API sent it: the parsed value and its exact JSON text (a slice of the response body). */
export interface ApiContact {
  readonly value: RawContact;
  readonly text: string;
}

/** How the fetch of one window stands after a page (cumulative). */
export interface FetchProgress {
  /** Requests spent on this window so far, retries not counted (each retry is rate-limited all the same). */
  readonly requests: number;
  /** `pages`: plain paging; `slices`: the window is read as time slices that each fit one page. */
  readonly method: 'pages' | 'slices';
  /** Why the fetch left plain paging (empty while paging plainly), e.g. `totals changed while paging`. */
  readonly signs: readonly string[];
  /** The largest `totalResults` the API announced for the whole window, if any request covered it. */
  readonly apiTotalResults: number | undefined;
}

/** One page of the raw-data API as the archive uses it: what it adds to the window, and why the rest was not added. */
export interface ContactPage {
  /** 1-based number of the request this page answered, within the fetch of one window. */
  readonly sequence: number;
  /** Contacts of this page not yet seen in this fetch (deduplicated by conversation id), each with its exact text. */
  readonly records: readonly ApiContact[];
  /**
   * Conversation ids (`""` when a contact has none) of contacts in {@link records} whose own start time lies
   * outside the window and outside its next second: the API filtered on something else. They are kept.
   */
  readonly unexpectedOutsideWindow: readonly string[];
  /**
   * Records of this page received but not yielded: `repeated` had a dedupe key already seen in this fetch
   * (overlapping pages or slices, a repeated record); `nextWindow` started in `[window.end, window.end + 1 s)`,
   * which the next window's request also returns because the API's bounds are inclusive and second-precise.
   * `records.length + repeated + nextWindow` is what the API returned on the page.
   */
  readonly skipped: { readonly repeated: number; readonly nextWindow: number };
  /** The `nextWindow` contacts themselves: the archive checks that the next hour really has them. */
  readonly nextWindow: readonly ApiContact[];
  readonly fetch: FetchProgress;
}

/** Where contacts come from: the Kore client, or a fake in unit tests. */
export interface ContactSource {
  /**
   * Fetches every contact the API returns for `streamId` and `window`, page by page, each contact once.
   * Throws on an unrecoverable failure; never ends early silently: a fetch stopped by `control.shouldStop`
   * says so in `control.stopped`, with `control.position()` to resume from.
   */
  fetchWindow(streamId: string, window: TimeWindow, signal?: AbortSignal, control?: FetchControl): AsyncIterable<ContactPage>;
}

/** Counters a run reports as metrics; the client and writer call these. */
export interface RunObserver {
  retry?(info: { readonly reason: string; readonly attempt: number; readonly delayMs: number }): void;
  page?(info: { readonly streamId: string; readonly records: number }): void;
}
