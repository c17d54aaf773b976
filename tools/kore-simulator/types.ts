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
export interface SimulatorOptions {
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
   * Bytes of generated contact JSON kept in memory (least recently used hours are dropped, then regenerated when
   * asked for again). Default 256 MiB; the benchmark raises it for an hour of 50,000 contacts (about 600 MB).
   */
  cacheBytes?: number;
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
}

/** Filters of {@link KoreSimulator.contactsInWindow}, mirroring the request body options. */
export interface ContactQueryOptions {
  includeBelowThreshold?: boolean;
  contactDirection?: 'inbound' | 'outbound';
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
   * precision, ordered like the API orders them. Defaults match the API defaults (below-threshold
   * contacts excluded, every direction). Returns fresh copies, parsed from the JSON the API sends.
   */
  contactsInWindow(streamId: string, from: Date, to: Date, opts?: ContactQueryOptions): RawContactLike[];
  /**
   * Add `count` evaluated contacts with start times spread over `[from, to)`; later requests and
   * {@link contactsInWindow} see them.
   */
  addContacts(streamId: string, from: Date, to: Date, count: number): void;
  /** Stop listening and close every connection, keep-alive ones included. */
  close(): Promise<void>;
}
