/**
 * Small shared types that cross module boundaries (Kore client -> archive writer).
 */

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

/** One validated page of the raw-data API. */
export interface ContactPage {
  /** 1-based sequence number of this page within the fetch of one window (across verification passes). */
  readonly sequence: number;
  /** Records of this page that were not yet seen in this fetch (deduplicated by conversation id). */
  readonly records: readonly RawContact[];
  /** The API's `totalResults` on this page (computed per request by the API). */
  readonly totalResults: number;
  /** The API's `totalPages` on this page. */
  readonly totalPages: number;
  readonly hasMore: boolean;
  /**
   * Records of this page the client received but did not yield: `repeated` had a dedupe key
   * (conversation id) already seen earlier in this fetch (overlapping pages, verification passes);
   * `outsideWindow` started outside `[window.start, window.end)` (the API's bounds are inclusive and
   * second-precise, so e.g. a contact at the next hour's HH:00:00.000 comes back and is left to the
   * next window). `records.length + repeated + outsideWindow` is what the API returned on the page.
   */
  readonly skipped: { readonly repeated: number; readonly outsideWindow: number };
}

/** Where contacts come from: the Kore client, or a fake in unit tests. */
export interface ContactSource {
  /**
   * Fetches every contact of `streamId` whose conversation started in `window` (half-open), page by page.
   * Throws on an unrecoverable failure; never ends early silently.
   */
  fetchWindow(streamId: string, window: TimeWindow, signal?: AbortSignal): AsyncIterable<ContactPage>;
}

/** Counters a run reports as metrics; the client and writer call these. */
export interface RunObserver {
  retry?(info: { readonly reason: string; readonly attempt: number; readonly delayMs: number }): void;
  page?(info: { readonly streamId: string; readonly records: number }): void;
}
