/**
 * Public types of the Kore Raw Data API simulator. Tests, the benchmark and the local demo code against
 * these; keep the names stable.
 */

/** A contact as the simulated API returns it (keys with spaces and all). */
export type RawContactLike = Record<string, unknown>;

/** The Kore app credentials the simulator accepts (what the Secrets Manager secret holds in production). */
export interface SimulatorCredentials {
  /** Expected in the JWT `appId` claim. */
  clientId: string;
  /** HS256 signing secret of the JWT. */
  clientSecret: string;
  /** Expected in the `accountId` header. */
  accountId: string;
  /** Expected in the `orgId` header. */
  orgId: string;
}

/** Options of {@link startKoreSimulator}. Every option but `credentials` has a default. */
export interface SimulatorOptions extends Partial<ServingBehaviour> {
  credentials: SimulatorCredentials;
  /** Seed of the data generator; the same seed gives the same contacts. Default 42. */
  seed?: number;
  /**
   * Generated contacts per stream and hour, edge contacts not counted. A function is called once per
   * (stream, hour) the first time that hour is needed; its result is cached. Default 20.
   */
  contactsPerHour?: number | ((streamId: string, hourStart: Date) => number);
  /** If set, only these stream ids exist; others get 404. Default: every stream id exists. */
  streams?: readonly string[];
  /** Largest accepted `limit`; a larger one gets 400. Default 100. */
  maxLimit?: number;
  /** Server-side rate limit over a sliding 60 s window; over it => 429 with `Retry-After` seconds. */
  rateLimitPerMinute?: number;
  /** If set, a token's `jti` is accepted for at most this many requests, then 401 "token replayed". */
  maxUsesPerJti?: number;
  /**
   * Default true: every hour with at least one generated contact also has one evaluated contact at
   * HH:00:00.000 and one at HH:59:59.999, so window boundaries are exercised on every run.
   */
  edgeContacts?: boolean;
  /** TCP port on 127.0.0.1. Default 0 (a random free port). */
  port?: number;
  /**
   * Documented values the vendor's samples never show (issue 12): `duration_status` null for some evaluated
   * contacts, `Qualification` "-" for some metrics, negative `Kore Evaluation Score` (down to -100) for some
   * points-form contacts and `null` (not "NA") for every below-threshold one. Default false.
   */
  documentedValues?: boolean;
  /**
   * Share (0..1, or `true` = 1) of contacts whose JSON text carries the exact-raw quirks: a 20-digit integer
   * `sourceRecordId` (beyond 2^53), `Sentiment Score` printed like `1.50`, `Pass Score` like `7e1`, and an own
   * `__proto__` key in `custom_fields` (current-shape contacts). Read the exact text with `truthText`. Default 0.
   */
  rawQuirks?: boolean | number;
  /**
   * Bytes of generated contact JSON kept in memory (least recently used hours are dropped, then regenerated when
   * asked for again). Default 256 MiB; the benchmark raises it for an hour of 50,000 contacts (about 600 MB).
   */
  cacheBytes?: number;
}

/**
 * How the simulated API serves a request: which timestamp the window filters on, its bounds, the order and
 * the page size. Set at start through {@link SimulatorOptions} (same names) or at run time with
 * {@link KoreSimulator.setBehaviour}. The defaults are the faithful mode.
 */
export interface ServingBehaviour {
  /** The contact timestamp `startDate`/`endDate` filter on: conversation `start` (default) or `end` time. */
  windowField: 'start' | 'end';
  /**
   * `inclusive` (default): `[startDate.000, endDate.000]`; `exclusive`: `(startDate.000, endDate.000]`, so a
   * contact at exactly `startDate` is only returned by the request that ends there.
   */
  startBound: 'inclusive' | 'exclusive';
  /** `stable` (default): start time, then conversation id. `shuffled`: a different order on every request. */
  order: 'stable' | 'shuffled';
  /**
   * Serve at most `max` records per page although a larger `limit` was asked. `skipBy: 'served'`
   * (consistent) pages by `max`: page p starts at `offset + (p - 1) * max`. `skipBy: 'requested'`
   * (inconsistent) pages by the requested `limit`, leaving gaps. `undefined` (default): no clamping.
   */
  pageClamp: { max: number; skipBy: 'served' | 'requested' } | undefined;
  /** A `limit` above `maxLimit`: `reject` (default, 400 as the vendor documents) or `clamp` it to `maxLimit`. */
  overLimit: 'reject' | 'clamp';
}

/** A fault the next raw-data request(s) suffer instead of (or on top of) the normal answer. */
export type Fault =
  /** Answer with this status and a Kore error body; 429 always carries `Retry-After` (default `1`). */
  | { kind: 'status'; status: number; message?: string; retryAfter?: string }
  /** Destroy the socket without any response. */
  | { kind: 'reset' }
  /** 200 with the Content-Length of the full body, but only its first half is sent, then the socket is destroyed. */
  | { kind: 'truncated' }
  /**
   * 200 with well-formed JSON that is not a valid envelope. `variant` picks how it is broken
   * (default `results-not-array`).
   */
  | { kind: 'malformed'; variant?: MalformedVariant }
  /** 401 exactly as for an expired token. */
  | { kind: 'unauthorized' }
  /** Wait `ms` before answering normally. */
  | { kind: 'latency'; ms: number }
  /**
   * Answer normally, then add `count` contacts to the stream and window of this request, some of them
   * before the current paging position. They match the request's filters, so the request would now see them.
   */
  | { kind: 'addContacts'; count: number };

/** How a `malformed` fault breaks the envelope. */
export type MalformedVariant = 'results-not-array' | 'totals-missing' | 'not-an-object';

/**
 * A behaviour of the requests of one stream and time window (see {@link KoreSimulator.injectWindow}). Only
 * requests answered 200 are counted; `afterRequest` counts from the injection, 1 = the first such request.
 */
export type WindowFault =
  /** The first `times` requests (default 1) answer 200 with no results and every total 0. */
  | { kind: 'empty'; times?: number }
  /**
   * Right after the `afterRequest`-th request (default 1) is answered, `count` new contacts join the window,
   * half of them before the last contact that request served (shifting later positions), half after it.
   */
  | { kind: 'insert'; count: number; afterRequest?: number }
  /**
   * Right after the `afterRequest`-th request (default 1), `count` contacts leave the window: those that
   * request served first, then earlier ones, then later ones.
   */
  | { kind: 'delete'; count: number; afterRequest?: number }
  /**
   * Right after the `afterRequest`-th request (default 1), the first contact it served leaves and a new one
   * joins after the last contact it served: `totalResults` is unchanged, but positions shift by one, so a
   * client paging by position skips a contact.
   */
  | { kind: 'oneOutOneIn'; afterRequest?: number };

/** A change the simulator made to its truth because of a {@link WindowFault} or an `addContacts` fault. */
export interface SimChange {
  at: Date;
  streamId: string;
  /** e.g. `insert`, `delete`, `oneOutOneIn`, `addContacts`. */
  kind: string;
  /** Index in {@link KoreSimulator.requests} of the request after which the change happened. */
  afterRequestIndex: number;
  added: string[];
  removed: string[];
}

/** When and how often an injected fault applies. */
export interface InjectOptions {
  /** How many consecutive raw-data requests suffer the fault. Default 1. */
  times?: number;
  /** Let this many raw-data requests pass untouched first. Default 0. */
  afterRequests?: number;
}

/** One request the simulator received. Never holds the token. */
export interface SimRequestLog {
  at: Date;
  /** Stream id from the path; `''` when the path is not the raw-data route. */
  streamId: string;
  /** HTTP status answered; 0 when the socket was reset without a response. */
  status: number;
  /** The parsed JSON request body; `undefined` when there was none or it was not JSON. */
  body: unknown;
  /** Whether an `auth` header was sent. */
  hadAuth: boolean;
  /** The fault applied, e.g. `status:503`, `reset`, `truncated`, `malformed:totals-missing`, `latency:200`, `addContacts:3`. */
  fault?: string;
  /** The error message answered, if any (never contains the token or the secret). */
  error?: string;
  /** Window faults that acted on this request, e.g. `empty`, `insert:3`, `oneOutOneIn` (comma-separated). */
  windowFault?: string;
}

/** Filters of {@link KoreSimulator.contactsInWindow}, mirroring the request body options. */
export interface ContactQueryOptions {
  includeBelowThreshold?: boolean;
  contactDirection?: 'inbound' | 'outbound';
  /**
   * Read `from`/`to` as a request's `startDate`/`endDate` (whole seconds) and apply the API's current bound
   * rules, instead of the default half-open `[from, to)` at ms precision. Default false.
   */
  asRequest?: boolean;
}

/** A running simulator. */
export interface KoreSimulator {
  /** Base URL, e.g. `http://127.0.0.1:38123`. */
  readonly url: string;
  /** Every request, in order of arrival. */
  readonly requests: readonly SimRequestLog[];
  /** Queue a fault; queued faults are consumed in order by the next raw-data requests. */
  inject(fault: Fault, opts?: InjectOptions): void;
  /** Drop every queued fault. */
  clearFaults(): void;
  /** Persistent latency for every request (0 = off). */
  setLatency(ms: number): void;
  /** Change (or with `undefined` remove) the server-side rate limit. */
  setRateLimit(perMinute: number | undefined): void;
  /** Every token id (jti) accepted so far is answered 401 from now on, as if it had expired. */
  revokeIssuedTokens(): void;
  /**
   * Exactly the contacts a correct client must archive for stream + half-open window `[from, to)` at ms
   * precision on the timestamp the API filters on (`windowField`), each once (a duplicated contact is listed
   * once), in the stable API order. Defaults match the API defaults (below-threshold contacts excluded,
   * every direction). Returns fresh copies, parsed from the JSON the API sends (so a 20-digit quirk number
   * is rounded here; use {@link truthText} for the exact text).
   */
  contactsInWindow(streamId: string, from: Date, to: Date, opts?: ContactQueryOptions): RawContactLike[];
  /**
   * The simulator's truth for a window, as {@link contactsInWindow} selects it: conversation id -> the exact
   * JSON text the API sends for that contact (byte-equal to the slice of a response body), in stable order.
   */
  truthText(streamId: string, from: Date, to: Date, opts?: ContactQueryOptions): Map<string, string>;
  /**
   * Add `count` evaluated contacts whose `windowField` timestamps are spread over `[from, to)`; later
   * requests and {@link contactsInWindow} see them. Returns their conversation ids.
   */
  addContacts(streamId: string, from: Date, to: Date, count: number): string[];
  /** Remove these contacts (every entry, duplicates included) from the truth. Returns the ids removed. */
  removeContacts(streamId: string, conversationIds: readonly string[]): string[];
  /**
   * Make `count` contacts of `[from, to)` (on `windowField`, evaluated ones first) appear twice in the API's
   * answers (identical text, adjacent). Returns their ids.
   */
  duplicateContacts(streamId: string, from: Date, to: Date, count: number): string[];
  /**
   * Replace a contact with a newer answer for the same conversation id: `patch` is merged over its top-level
   * keys and the result re-serialized (exact-raw quirks of that contact are not kept). Returns the new text.
   * The contact must be in an hour the simulator has already served or listed.
   */
  updateContact(streamId: string, conversationId: string, patch: Readonly<Record<string, unknown>>): string;
  /** Queue a behaviour for the requests of `streamId` whose `startDate..endDate` lies within `[from, to]`. */
  injectWindow(streamId: string, from: Date, to: Date, fault: WindowFault): void;
  /** Drop every queued window fault. */
  clearWindowFaults(): void;
  /** Changes made to the truth by window faults and `addContacts` faults, in order. */
  readonly changes: readonly SimChange[];
  /** The current serving behaviour. */
  readonly behaviour: Readonly<ServingBehaviour>;
  /** Change the serving behaviour from the next request on (omitted keys keep their value). */
  setBehaviour(patch: Partial<ServingBehaviour>): void;
  /**
   * The raw-data requests of `streamId` (every status) whose body's `startDate..endDate` lies within
   * `[from, to]`, e.g. `requestsFor(s, H10, H11).length` counts the requests spent on the 10:00 window.
   */
  requestsFor(streamId: string, from: Date, to: Date): SimRequestLog[];
  /** Stop listening and close every connection, keep-alive ones included. */
  close(): Promise<void>;
}
