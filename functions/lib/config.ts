import { NO_ALIASES, parseColumnAliases, type ColumnAliases } from './archive/aliases';
import { isKeySafeId } from './archive/layout';
import { ConfigError } from './errors';
import { PLAN_DEFAULTS } from './ledger/planner';

/**
 * The environment variables the sync function (Lambda and CLI) reads. The CDK stack imports these
 * names, so the infrastructure and the function cannot drift apart.
 */
export const ENV = {
  bucket: 'ARCHIVE_BUCKET',
  prefix: 'ARCHIVE_PREFIX',
  secretId: 'KORE_SECRET_ID',
  streamIds: 'KORE_STREAM_IDS',
  pageSize: 'KORE_PAGE_SIZE',
  pagingMode: 'KORE_PAGING_MODE',
  rateLimitRpm: 'KORE_RATE_LIMIT_RPM',
  requestsInFlight: 'KORE_REQUESTS_IN_FLIGHT',
  includeBelowThreshold: 'KORE_INCLUDE_BELOW_THRESHOLD',
  contactDirection: 'KORE_CONTACT_DIRECTION',
  requestTimeoutMs: 'KORE_REQUEST_TIMEOUT_MS',
  maxAttempts: 'KORE_MAX_ATTEMPTS',
  archiveStart: 'ARCHIVE_START',
  maxCatchUpHours: 'ARCHIVE_MAX_CATCHUP_HOURS',
  refreshLagHours: 'ARCHIVE_REFRESH_LAG_HOURS',
  columnAliases: 'ARCHIVE_COLUMN_ALIASES',
  s3Endpoint: 'AWS_ENDPOINT_URL_S3',
  maxWindowAttempts: 'ARCHIVE_MAX_WINDOW_ATTEMPTS',
  retryBackoffMinutes: 'ARCHIVE_RETRY_BACKOFF_MINUTES',
  leaseSeconds: 'ARCHIVE_LEASE_SECONDS',
} as const;

/** Default of `KORE_REQUESTS_IN_FLIGHT`, chosen by the benchmark's API-bound scenario (docs/tuning.md). */
export const DEFAULT_REQUESTS_IN_FLIGHT = 3;
/** More in flight gains nothing once requests are paced by the rate limit, and holds more pages in memory. */
export const MAX_REQUESTS_IN_FLIGHT = 8;

/** Paging strategy: advance `page` (holding `offset` at 0) or advance `offset` (holding `page` at 1). */
export type PagingMode = 'page' | 'offset';

/** Validated, frozen configuration of one sync function. */
export interface SyncConfig {
  readonly bucket: string;
  readonly prefix: string;
  readonly secretId: string;
  readonly streamIds: readonly string[];
  readonly pageSize: number;
  readonly pagingMode: PagingMode;
  readonly rateLimitRpm: number;
  /**
   * API requests one window keeps in flight at once: 1 = one after another; more = the next pages (or time
   * slices) are requested while the current one is processed, each still paced by the rate limit.
   */
  readonly requestsInFlight: number;
  readonly includeBelowThreshold: boolean;
  readonly contactDirection: 'inbound' | 'outbound' | undefined;
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  /** First hour to archive when a stream has no state yet (UTC, whole hour); undefined = the previous hour. */
  readonly archiveStart: Date | undefined;
  readonly maxCatchUpHours: number;
  /**
   * Refresh tiers: each archived hour is archived again this many hours after it closed (default
   * `[3, 24, 168]`: late contacts, scores, audits), so what reaches the API late replaces the early
   * snapshot. A refresh stays due until done. `none` turns refreshing off.
   */
  readonly refreshLagHours: readonly number[];
  /**
   * Extra source keys per column (or `column.field`), JSON in the environment, e.g.
   * `{"audit_status": ["Audit State"]}`: a renamed key is typed again on the next run. Empty = none.
   */
  readonly columnAliases: ColumnAliases;
  /** A custom S3 endpoint (s3rver, MinIO): path-style addressing is used when set. */
  readonly s3Endpoint: string | undefined;
  /** Failed attempts in a row after which a window is quarantined (alarmed, retried daily, never blocking). */
  readonly maxWindowAttempts: number;
  /** Wait before retrying a failed window; doubles with each further failure (capped at a day). */
  readonly retryBackoffMs: number;
  /**
   * How long a run's lease on a stream lasts without renewal. Must exceed the longest stretch between
   * renewals (one window, so the function's timeout) plus clock skew.
   */
  readonly leaseDurationMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, name: string): string {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required but not set');
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new ConfigError(name, 'must be true or false');
}

/** S3 prefix: path segments without leading/trailing slashes. */
const PREFIX = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/**
 * Parses an hour given as `YYYY-MM-DDTHH` (optionally followed by `:00`, `:00:00`, `Z`) in UTC.
 * Returns undefined for anything else.
 */
export function parseHour(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(?::00(?::00(?:\.000)?)?)?Z?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h] = m.map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h));
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    date.getUTCHours() !== h
  ) {
    return undefined;
  }
  return date;
}

/**
 * Reads and validates the environment once. Throws a {@link ConfigError} naming the first bad variable.
 */
export function loadConfig(env: Env = process.env): SyncConfig {
  const streamIds = required(env, ENV.streamIds)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (streamIds.length === 0) throw new ConfigError(ENV.streamIds, 'must list at least one stream id');
  for (const id of streamIds) {
    // Stream ids go into a URL path and S3 keys, so only a key-safe alphabet is allowed.
    if (!isKeySafeId(id)) {
      throw new ConfigError(ENV.streamIds, 'each stream id may contain only letters, digits, ".", "_" and "-"');
    }
  }
  if (new Set(streamIds).size !== streamIds.length) throw new ConfigError(ENV.streamIds, 'lists a stream id twice');

  const prefix = read(env, ENV.prefix) ?? 'kore-qa';
  if (!PREFIX.test(prefix)) {
    throw new ConfigError(ENV.prefix, 'must be one or more path segments of letters, digits, ".", "_", "-", without leading or trailing "/"');
  }

  const pagingMode = read(env, ENV.pagingMode) ?? 'page';
  if (pagingMode !== 'page' && pagingMode !== 'offset') throw new ConfigError(ENV.pagingMode, 'must be "page" or "offset"');

  const direction = read(env, ENV.contactDirection);
  if (direction !== undefined && direction !== 'inbound' && direction !== 'outbound') {
    throw new ConfigError(ENV.contactDirection, 'must be "inbound" or "outbound" when set');
  }

  const startText = read(env, ENV.archiveStart);
  const archiveStart = startText === undefined ? undefined : parseHour(startText);
  if (startText !== undefined && archiveStart === undefined) {
    throw new ConfigError(ENV.archiveStart, 'must be an hour in UTC like 2026-11-01T00');
  }

  const refreshText = read(env, ENV.refreshLagHours) ?? PLAN_DEFAULTS.refreshLagHours.join(',');
  const refreshLagHours = (refreshText.toLowerCase() === 'none' ? '' : refreshText)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const lag = /^\d+$/.test(s) ? Number(s) : Number.NaN;
      if (!(lag >= 1 && lag <= 24 * 31)) {
        throw new ConfigError(
          ENV.refreshLagHours,
          `must list whole numbers of hours from 1 to ${24 * 31}, comma-separated (e.g. 3,24,168), or be "none"`,
        );
      }
      return lag;
    });
  if (new Set(refreshLagHours).size !== refreshLagHours.length) throw new ConfigError(ENV.refreshLagHours, 'lists a lag twice');

  const aliasesText = read(env, ENV.columnAliases);
  const columnAliases = aliasesText === undefined ? NO_ALIASES : parseColumnAliases(aliasesText, ENV.columnAliases);

  const s3Endpoint = read(env, ENV.s3Endpoint);
  if (s3Endpoint !== undefined && !URL.canParse(s3Endpoint)) throw new ConfigError(ENV.s3Endpoint, 'must be a URL');

  return Object.freeze({
    bucket: required(env, ENV.bucket),
    prefix,
    secretId: required(env, ENV.secretId),
    streamIds: Object.freeze(streamIds),
    pageSize: integer(env, ENV.pageSize, 100, 1, 1000),
    pagingMode,
    rateLimitRpm: integer(env, ENV.rateLimitRpm, 60, 1, 6000),
    requestsInFlight: integer(env, ENV.requestsInFlight, DEFAULT_REQUESTS_IN_FLIGHT, 1, MAX_REQUESTS_IN_FLIGHT),
    includeBelowThreshold: boolean(env, ENV.includeBelowThreshold, true),
    contactDirection: direction,
    requestTimeoutMs: integer(env, ENV.requestTimeoutMs, 30_000, 1_000, 300_000),
    maxAttempts: integer(env, ENV.maxAttempts, 6, 1, 20),
    archiveStart,
    maxCatchUpHours: integer(env, ENV.maxCatchUpHours, 24, 1, 24 * 31),
    refreshLagHours: Object.freeze([...refreshLagHours].sort((a, b) => a - b)),
    columnAliases,
    s3Endpoint,
    maxWindowAttempts: integer(env, ENV.maxWindowAttempts, PLAN_DEFAULTS.maxAttempts, 1, 100),
    retryBackoffMs: integer(env, ENV.retryBackoffMinutes, PLAN_DEFAULTS.retryBackoffMs / 60_000, 1, 24 * 60) * 60_000,
    leaseDurationMs: integer(env, ENV.leaseSeconds, 1_200, 60, 24 * 3_600) * 1_000,
  });
}
