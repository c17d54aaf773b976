/**
 * One retry loop for every transient failure of a Kore API call, with one budget.
 *
 * Why not undici's RetryAgent/RetryHandler: it retries on status codes and socket errors only while
 * the response headers arrive, so it cannot retry a 2xx whose body turns out truncated or malformed
 * after the headers were handed over; it does not retry POST unless told to; it cannot re-mint a
 * token on 401; and it bounds attempts but not the total time spent. The loop below covers all of
 * these kinds with one attempt count and one time budget, and its pieces are pure and unit-tested.
 */
import { KoreApiError, KoreResponseError, RetryExhaustedError } from '../errors';
import { sleep as realSleep, type Sleep } from './sleep';

/** Limits of the retry loop. */
export interface RetryPolicy {
  /** Attempts in total, the first included (1 = no retry). */
  readonly maxAttempts: number;
  /** Time budget from the start of the first attempt; no retry starts after it. */
  readonly maxElapsedMs: number;
  /** First backoff ceiling; doubles with every retry. */
  readonly baseDelayMs: number;
  /** Largest backoff ceiling. */
  readonly maxDelayMs: number;
}

/** Defaults for everything but `maxAttempts` (which comes from the configuration). */
export const DEFAULT_RETRY_TIMING = Object.freeze({ maxElapsedMs: 5 * 60_000, baseDelayMs: 500, maxDelayMs: 30_000 });

/**
 * Exponential backoff with full jitter: a uniformly random delay in `[0, min(maxDelayMs, baseDelayMs * 2^(retry-1)))`.
 * Full jitter spreads clients that failed together instead of having them retry in lockstep.
 *
 * @param retry 1 for the first retry (after the first failed attempt).
 * @param random returns a number in `[0, 1)`.
 */
export function backoffDelayMs(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 52);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * Reads a `Retry-After` header: delay-seconds (`"120"`) or an HTTP-date. Returns the wait in ms
 * (0 for a date in the past), or undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date (IMF-fixdate, RFC 850 or asctime) starts with a weekday name; requiring that keeps
  // stray text, which Date.parse reads generously, from passing as a date.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /.test(text)) return undefined;
  // asctime dates carry no zone but are GMT by definition; JavaScript would read them as local time.
  const at = Date.parse(/\b(GMT|UTC)\b/.test(text) ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * An HTTP status the API may answer differently next time (429, 408, 5xx), with its `Retry-After`.
 * It is a {@link KoreApiError}, so when retries run out it is the (safe to log) cause.
 */
export class KoreTransientStatusError extends KoreApiError {
  override readonly name: string = 'KoreTransientStatusError';
  constructor(
    method: string,
    path: string,
    status: number,
    apiMessage: string | undefined,
    /** The raw `Retry-After` header, if any. */
    readonly retryAfter?: string,
  ) {
    super(method, path, status, apiMessage);
  }
}

/** True for statuses worth retrying: 408, 429 and every 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** How the loop treats one failure. `reason` is a short stable label for metrics and logs. */
export interface FailureKind {
  readonly retryable: boolean;
  readonly reason: string;
  /** Wait the server asked for, in ms. */
  readonly retryAfterMs?: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const CONNECTION_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_INFO',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);
/**
 * The host name did not resolve. Retried like a refused connection: a resolver hiccup or a DNS change in
 * flight heals in seconds, and a wrong host fails the same way on every attempt, then names the host.
 */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * Sorts a failure into retryable or not. Retried: 408/429/5xx, timeouts, connection failures
 * (resets, closed sockets, refused connections, truncated bodies) and malformed 2xx bodies
 * ({@link KoreResponseError}). Everything else, aborts included, fails at once.
 */
export function classifyFailure(error: unknown, nowMs: number): FailureKind {
  if (error instanceof KoreTransientStatusError) {
    const reason = error.status === 429 ? 'throttled' : error.status === 408 ? 'timeout' : 'server_error';
    const retryAfterMs = parseRetryAfter(error.retryAfter, nowMs);
    return retryAfterMs === undefined ? { retryable: true, reason } : { retryable: true, reason, retryAfterMs };
  }
  if (error instanceof KoreResponseError) return { retryable: true, reason: 'malformed_response' };
  if (error instanceof KoreApiError) return { retryable: false, reason: 'client_error' };
  const codes = codesOf(error);
  if (codes.includes('UND_ERR_ABORTED') || codes.includes('ABORT_ERR') || (error instanceof Error && error.name === 'AbortError')) {
    return { retryable: false, reason: 'aborted' };
  }
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return { retryable: true, reason: 'timeout' };
  if (codes.some((c) => DNS_CODES.has(c))) return { retryable: true, reason: 'dns' };
  if (codes.some((c) => CONNECTION_CODES.has(c) || /^HPE_/.test(c))) return { retryable: true, reason: 'connection' };
  return { retryable: false, reason: 'unexpected' };
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  readonly policy: RetryPolicy;
  /** What is being attempted, for the exhaustion message: e.g. `POST /qualityai/.../rawdata`. No host, no query. */
  readonly operation: string;
  readonly signal?: AbortSignal;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Called before each wait. */
  readonly onRetry?: (info: { readonly reason: string; readonly attempt: number; readonly delayMs: number }) => void;
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error occurs (rethrown as is), or the attempts
 * or the time budget run out ({@link RetryExhaustedError} with the last error as `cause`).
 * A `Retry-After` from the server replaces the backoff. When it asks for a longer wait than what is
 * left of the time budget, the loop gives up at once rather than retry earlier than the server
 * allows (which would only be refused again and count against the API's limits); the backoff,
 * which is ours, is simply capped at what is left.
 *
 * @param attempt receives the 1-based attempt number.
 */
export async function withRetry<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const startedAt = now();

  for (let n = 1; ; n += 1) {
    signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const kind = classifyFailure(error, now());
      if (!kind.retryable) throw error;
      const elapsed = now() - startedAt;
      const remaining = policy.maxElapsedMs - elapsed;
      if (n >= policy.maxAttempts || remaining <= 0) {
        const why = n >= policy.maxAttempts ? `${n} attempts` : `the ${Math.round(policy.maxElapsedMs / 1000)} s retry budget`;
        throw new RetryExhaustedError(
          `${options.operation}: gave up after ${why} (${n} attempts in ${(elapsed / 1000).toFixed(1)} s); last failure: ${describe(kind, error)}`,
          n,
          { cause: error },
        );
      }
      if (kind.retryAfterMs !== undefined && kind.retryAfterMs > remaining) {
        throw new RetryExhaustedError(
          `${options.operation}: gave up after ${n} attempts in ${(elapsed / 1000).toFixed(1)} s: the API asked to wait ` +
            `${seconds(kind.retryAfterMs, 'up')} s (Retry-After), more than the remaining ${seconds(remaining)} s of the ` +
            `${seconds(policy.maxElapsedMs)} s retry budget; last failure: ${describe(kind, error)}`,
          n,
          { cause: error },
        );
      }
      const wanted = kind.retryAfterMs ?? backoffDelayMs(n, policy, random);
      const delayMs = Math.max(0, Math.min(wanted, remaining));
      options.onRetry?.({ reason: kind.reason, attempt: n, delayMs });
      await sleep(delayMs, signal);
    }
  }
}

/**
 * Milliseconds as seconds for messages, to a tenth ("50", "19.9"), rounded `up` or down so that a
 * wait longer than the remaining budget also reads longer.
 */
function seconds(ms: number, round: 'up' | 'down' = 'down'): string {
  const tenths = round === 'up' ? Math.ceil(ms / 100) : Math.floor(ms / 100);
  return String(tenths / 10);
}

/** The host name a DNS failure carries (Node sets `hostname` on getaddrinfo errors), anywhere in the cause chain. */
function hostnameOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    const hostname = (current as { hostname?: unknown }).hostname;
    if (typeof hostname === 'string' && hostname !== '') return hostname;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A safe one-line description of a failure: our own errors are built to be logged; others show only their code
 * (and, for DNS, the host name, which is configuration, not a secret).
 */
function describe(kind: FailureKind, error: unknown): string {
  if (error instanceof KoreApiError || error instanceof KoreResponseError) return `${kind.reason} (${error.message})`;
  const code = codesOf(error)[0];
  if (kind.reason === 'dns') {
    const host = hostnameOf(error);
    return `dns (${code ?? 'lookup failed'}: the host name ${host ?? 'of the Kore API'} does not resolve; check "host" in the connection secret)`;
  }
  return code === undefined ? kind.reason : `${kind.reason} (${code})`;
}
