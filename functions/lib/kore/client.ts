import type { Dispatcher } from 'undici';
import { ENV, MAX_REQUESTS_IN_FLIGHT, type PagingMode, type SyncConfig } from '../config';
import { ArchiveError, ConfigError, KoreApiError, KoreAuthError } from '../errors';
import type { ContactPage, ContactSource, RunObserver, TimeWindow } from '../types';
import { createTokenProvider, type TokenProvider } from './auth';
import { formatApiDate } from './dates';
import { apiErrorMessage, parseEnvelope, type RawDataEnvelope } from './envelope';
import { TokenBucket } from './rate-limiter';
import { DEFAULT_RETRY_TIMING, isTransientStatus, KoreTransientStatusError, parseRetryAfter, withRetry, type RetryPolicy } from './retry';
import type { KoreConnection } from './secret';
import { sleep as realSleep, type Sleep } from './sleep';
import type { FetchControl } from './reader-position';
import { Agent, request } from './undici';
import { readWindow, type PageParams, type RequestRange } from './window-reader';

/** Options of {@link KoreClient}. */
export interface KoreClientOptions {
  readonly connection: KoreConnection;
  /** Default: {@link createTokenProvider} of `connection`. */
  readonly tokenProvider?: TokenProvider;
  /** `limit` of each request (1..1000). */
  readonly pageSize: number;
  /** Advance `page` (default in the config) or `offset`. */
  readonly pagingMode: PagingMode;
  /** Sent as `include_below_threshold`; the archive default is true (the API's own default is false). */
  readonly includeBelowThreshold: boolean;
  /** Sent as `contact_direction` when set. */
  readonly contactDirection?: 'inbound' | 'outbound';
  /** Client-side rate limit, requests per minute. */
  readonly rateLimitRpm: number;
  /**
   * Requests of one window in flight at once (1..8): above 1, the next pages or time slices are requested while
   * the consumer works on the current one (see `window-reader.ts`), each still through the rate limiter. Default 1.
   */
  readonly requestsInFlight?: number;
  /** Requests allowed back to back after a quiet spell. Default 1. */
  readonly rateLimitBurst?: number;
  /** undici `headersTimeout` and `bodyTimeout` of each request. */
  readonly requestTimeoutMs: number;
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
  /** Time budget of the retries of one request, from its first attempt. Default 5 minutes. */
  readonly maxRetryElapsedMs?: number;
  /** First backoff ceiling (doubles per retry). Default 500 ms. */
  readonly retryBaseDelayMs?: number;
  /** Largest backoff ceiling. Default 30 s. */
  readonly retryMaxDelayMs?: number;
  readonly observer?: RunObserver;
  /** Default: a keep-alive undici Agent owned (and closed) by the client. */
  readonly dispatcher?: Dispatcher;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly random?: () => number;
}

const METHOD = 'POST';

type ConfiguredOption = 'pageSize' | 'pagingMode' | 'includeBelowThreshold' | 'contactDirection' | 'rateLimitRpm' | 'requestsInFlight' | 'requestTimeoutMs' | 'maxAttempts';

/** The client options a configuration sets (everything but the connection and the observer). */
export function clientOptionsOf(
  config: Pick<SyncConfig, ConfiguredOption>,
): Pick<KoreClientOptions, ConfiguredOption> {
  return {
    pageSize: config.pageSize,
    pagingMode: config.pagingMode,
    includeBelowThreshold: config.includeBelowThreshold,
    contactDirection: config.contactDirection,
    rateLimitRpm: config.rateLimitRpm,
    requestsInFlight: config.requestsInFlight,
    requestTimeoutMs: config.requestTimeoutMs,
    maxAttempts: config.maxAttempts,
  };
}

/** The API path of a stream's raw data (no host: this is what errors show). */
export function rawDataPath(streamId: string): string {
  return `/qualityai/api/v1/public/qualitymanagement/app/${encodeURIComponent(streamId)}/rawdata`;
}

function positiveInteger(value: number, variable: string, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new ConfigError(variable, `must be a whole number from 1 to ${max}`);
}

/**
 * Client of the Kore.ai Quality AI Raw Data API: fetches every contact the API returns for a stream and an
 * hour window.
 *
 * - How a window is read (plain paging, then time slices when the result moves) is `window-reader.ts`.
 * - The API's bounds are inclusive with second precision, so the request asks for `[start, end]` to the
 *   second; contacts starting in `[end, end + 1 s)` are left to the next window, which returns them too.
 *   Every other contact is kept, even one whose own times lie outside the window (it is reported).
 * - Failures: 408/429/5xx, timeouts, connection errors and malformed 2xx bodies are retried (see
 *   `retry.ts`); a 401 re-mints the token once; other 4xx fail at once with {@link KoreApiError}.
 * - A token bucket keeps the client under `rateLimitRpm`.
 */
export class KoreClient implements ContactSource {
  readonly #o: KoreClientOptions;
  readonly #tokens: TokenProvider;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #limiter: TokenBucket;
  readonly #policy: RetryPolicy;
  readonly #sleep: Sleep;
  readonly #now: () => number;
  /** The last re-mint and the token whose refusal caused it. */
  #renewal: { readonly refused: string; readonly minted: Promise<string> } | undefined;

  constructor(options: KoreClientOptions) {
    positiveInteger(options.pageSize, ENV.pageSize, 1000);
    positiveInteger(options.maxAttempts, ENV.maxAttempts, 100);
    positiveInteger(options.requestTimeoutMs, ENV.requestTimeoutMs, 3_600_000);
    positiveInteger(options.requestsInFlight ?? 1, ENV.requestsInFlight, MAX_REQUESTS_IN_FLIGHT);
    if (!(options.rateLimitRpm > 0) || !Number.isFinite(options.rateLimitRpm)) {
      throw new ConfigError(ENV.rateLimitRpm, 'must be a positive number');
    }
    if (options.pagingMode !== 'page' && options.pagingMode !== 'offset') throw new ConfigError(ENV.pagingMode, 'must be "page" or "offset"');
    this.#o = options;
    this.#tokens = options.tokenProvider ?? createTokenProvider(options.connection);
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 10_000,
        connections: 4,
        headersTimeout: options.requestTimeoutMs,
        bodyTimeout: options.requestTimeoutMs,
      });
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
    this.#limiter = new TokenBucket({
      ratePerMinute: options.rateLimitRpm,
      burst: options.rateLimitBurst ?? 1,
      now: this.#now,
      sleep: this.#sleep,
    });
    this.#policy = {
      maxAttempts: options.maxAttempts,
      maxElapsedMs: options.maxRetryElapsedMs ?? DEFAULT_RETRY_TIMING.maxElapsedMs,
      baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_TIMING.baseDelayMs,
      maxDelayMs: options.retryMaxDelayMs ?? DEFAULT_RETRY_TIMING.maxDelayMs,
    };
  }

  /** {@inheritDoc ContactSource.fetchWindow} See `window-reader.ts` for how completeness is reached. */
  async *fetchWindow(streamId: string, window: TimeWindow, signal?: AbortSignal, control?: FetchControl): AsyncGenerator<ContactPage, void, undefined> {
    if (typeof streamId !== 'string' || streamId === '') throw new ArchiveError('fetchWindow: the stream id must be a non-empty string');
    const startMs = window.start.getTime();
    const endMs = window.end.getTime();
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || startMs >= endMs) {
      throw new ArchiveError('fetchWindow: the window must have valid dates with start before end');
    }
    const fetchPage = (range: RequestRange, paging: PageParams, pageSignal?: AbortSignal): Promise<RawDataEnvelope> =>
      this.#fetchPage(streamId, range, paging, pageSignal);
    const lookahead = (this.#o.requestsInFlight ?? 1) - 1;
    const readOptions = { limit: this.#o.pageSize, mode: this.#o.pagingMode, lookahead, streamId, ...(control === undefined ? {} : { control }) };
    for await (const page of readWindow(fetchPage, window, readOptions, signal)) {
      this.#o.observer?.page?.({ streamId, records: page.records.length });
      yield page;
    }
  }

  /** Closes the keep-alive connections of the client's own agent (an injected dispatcher is left open). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /** One page, with retries and token renewal. */
  async #fetchPage(streamId: string, window: RequestRange, paging: PageParams, signal: AbortSignal | undefined): Promise<RawDataEnvelope> {
    const path = rawDataPath(streamId);
    const operation = `${METHOD} ${path}`;
    const body = JSON.stringify({
      startDate: formatApiDate(window.from),
      endDate: formatApiDate(window.to),
      limit: this.#o.pageSize,
      page: paging.page,
      offset: paging.offset,
      include_below_threshold: this.#o.includeBelowThreshold,
      ...(this.#o.contactDirection === undefined ? {} : { contact_direction: this.#o.contactDirection }),
    });
    // One re-mint per page request: a token used up or expired mid-run is replaced, but a token
    // refused right after minting means the credentials themselves are wrong.
    let renewed = false;
    const retryOptions = {
      policy: this.#policy,
      operation,
      sleep: this.#sleep,
      now: this.#now,
      onRetry: (info: { reason: string; attempt: number; delayMs: number }) => this.#o.observer?.retry?.(info),
      ...(signal === undefined ? {} : { signal }),
      ...(this.#o.random === undefined ? {} : { random: this.#o.random }),
    };
    return withRetry(async () => {
      for (;;) {
        const token = await this.#tokens.token();
        const { status, text, retryAfter } = await this.#send(path, token, body, signal);
        if (status >= 200 && status <= 299) return parseEnvelope(text, operation);
        const message = apiErrorMessage(text, this.#secrets(token));
        if (status === 401) {
          const tokens = this.#tokens;
          const renew = tokens.renew;
          if (renew === undefined) {
            throw new KoreAuthError(METHOD, path, status, `the configured jwt was rejected${message ? ` (${message})` : ''}; replace it in the secret, or use clientId + clientSecret`);
          }
          if (!renewed) {
            renewed = true;
            await this.#renewAfterRefusal(token, () => renew.call(tokens));
            continue;
          }
          throw new KoreAuthError(METHOD, path, status, `a freshly minted token was rejected${message ? ` (${message})` : ''}; check clientId, clientSecret, accountId and orgId`);
        }
        if (status === 403) {
          throw new KoreAuthError(METHOD, path, status, `${message ?? 'forbidden'}; check that the app has the Quality Management Analytics API scope`);
        }
        if (status === 429) {
          // The other requests in flight wait for the server's Retry-After too, rather than be refused one by one.
          const waitMs = parseRetryAfter(retryAfter, this.#now());
          if (waitMs !== undefined) this.#limiter.holdUntil(this.#now() + waitMs);
        }
        if (isTransientStatus(status)) throw new KoreTransientStatusError(METHOD, path, status, message, retryAfter);
        throw new KoreApiError(METHOD, path, status, message);
      }
    }, retryOptions);
  }

  /**
   * One re-mint per refused token, however many requests in flight it refused: the requests refused together
   * share the mint (each then retries once with the new token), so no token is minted twice for one expiry.
   */
  #renewAfterRefusal(refused: string, renew: () => Promise<string>): Promise<string> {
    if (this.#renewal?.refused !== refused) this.#renewal = { refused, minted: renew() };
    return this.#renewal.minted;
  }

  /** Sends one request after the rate limiter allows it; reads the whole body. */
  async #send(path: string, token: string, body: string, signal: AbortSignal | undefined): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
    await this.#limiter.acquire(signal);
    const { origin, accountId, orgId } = this.#o.connection;
    const res = await request(this.#dispatcher, `${origin}${path}`, {
      method: METHOD,
      headers: { auth: token, accountId, orgId, 'content-type': 'application/json', accept: 'application/json' },
      body,
      headersTimeout: this.#o.requestTimeoutMs,
      bodyTimeout: this.#o.requestTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    const text = await res.body.text();
    const header = res.headers['retry-after'];
    return { status: res.statusCode, text, retryAfter: Array.isArray(header) ? header[0] : header };
  }

  #secrets(token: string): string[] {
    const auth = this.#o.connection.auth;
    return auth.kind === 'client' ? [token, auth.clientSecret] : [token, auth.jwt];
  }
}
