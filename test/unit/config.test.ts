import { describe, expect, it } from 'vitest';
import { DEFAULT_REQUESTS_IN_FLIGHT, loadConfig, parseHour } from '../../functions/lib/config';
import { ConfigError } from '../../functions/lib/errors';

const base = { ARCHIVE_BUCKET: 'b', KORE_SECRET_ID: 'kore/conn', KORE_STREAM_IDS: 'st-1, st-2' };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      bucket: 'b',
      prefix: 'kore-qa',
      streamIds: ['st-1', 'st-2'],
      pageSize: 100,
      pagingMode: 'page',
      rateLimitRpm: 60,
      requestsInFlight: DEFAULT_REQUESTS_IN_FLIGHT,
      includeBelowThreshold: true,
      contactDirection: undefined,
      archiveStart: undefined,
      refreshLagHours: [3, 24, 168],
      maxWindowAttempts: 5,
      retryBackoffMs: 30 * 60_000,
      leaseDurationMs: 20 * 60_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.streamIds)).toBe(true);
    expect(Object.isFrozen(config.refreshLagHours)).toBe(true);
  });

  it('reads every optional variable', () => {
    const config = loadConfig({
      ...base,
      ARCHIVE_PREFIX: 'lake/kore',
      KORE_PAGE_SIZE: '25',
      KORE_PAGING_MODE: 'offset',
      KORE_RATE_LIMIT_RPM: '30',
      KORE_REQUESTS_IN_FLIGHT: '4',
      KORE_INCLUDE_BELOW_THRESHOLD: 'false',
      KORE_CONTACT_DIRECTION: 'inbound',
      ARCHIVE_START: '2026-11-01T00',
      ARCHIVE_MAX_CATCHUP_HOURS: '48',
      ARCHIVE_REFRESH_LAG_HOURS: '72, 24',
      ARCHIVE_MAX_WINDOW_ATTEMPTS: '8',
      ARCHIVE_RETRY_BACKOFF_MINUTES: '15',
      ARCHIVE_LEASE_SECONDS: '960',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4568',
    });
    expect(config).toMatchObject({
      prefix: 'lake/kore',
      pageSize: 25,
      pagingMode: 'offset',
      rateLimitRpm: 30,
      requestsInFlight: 4,
      includeBelowThreshold: false,
      contactDirection: 'inbound',
      maxCatchUpHours: 48,
      refreshLagHours: [24, 72],
      maxWindowAttempts: 8,
      retryBackoffMs: 15 * 60_000,
      leaseDurationMs: 960_000,
      s3Endpoint: 'http://127.0.0.1:4568',
    });
    expect(config.archiveStart?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  it.each([
    [{ ARCHIVE_BUCKET: '' }, 'ARCHIVE_BUCKET'],
    [{ KORE_SECRET_ID: undefined }, 'KORE_SECRET_ID'],
    [{ KORE_STREAM_IDS: ' , ' }, 'KORE_STREAM_IDS'],
    [{ KORE_STREAM_IDS: 'a/b' }, 'KORE_STREAM_IDS'],
    [{ KORE_STREAM_IDS: 'a,a' }, 'KORE_STREAM_IDS'],
    [{ KORE_PAGE_SIZE: '0' }, 'KORE_PAGE_SIZE'],
    [{ KORE_PAGE_SIZE: '10.5' }, 'KORE_PAGE_SIZE'],
    [{ KORE_PAGING_MODE: 'cursor' }, 'KORE_PAGING_MODE'],
    [{ KORE_REQUESTS_IN_FLIGHT: '0' }, 'KORE_REQUESTS_IN_FLIGHT'],
    [{ KORE_REQUESTS_IN_FLIGHT: '9' }, 'KORE_REQUESTS_IN_FLIGHT'],
    [{ KORE_INCLUDE_BELOW_THRESHOLD: 'maybe' }, 'KORE_INCLUDE_BELOW_THRESHOLD'],
    [{ KORE_CONTACT_DIRECTION: 'sideways' }, 'KORE_CONTACT_DIRECTION'],
    [{ ARCHIVE_START: '2026-02-30T00' }, 'ARCHIVE_START'],
    [{ ARCHIVE_PREFIX: '/leading' }, 'ARCHIVE_PREFIX'],
    [{ AWS_ENDPOINT_URL_S3: 'not a url' }, 'AWS_ENDPOINT_URL_S3'],
    [{ ARCHIVE_REFRESH_LAG_HOURS: '0' }, 'ARCHIVE_REFRESH_LAG_HOURS'],
    [{ ARCHIVE_REFRESH_LAG_HOURS: '24,24' }, 'ARCHIVE_REFRESH_LAG_HOURS'],
    [{ ARCHIVE_REFRESH_LAG_HOURS: 'daily' }, 'ARCHIVE_REFRESH_LAG_HOURS'],
    [{ ARCHIVE_MAX_WINDOW_ATTEMPTS: '0' }, 'ARCHIVE_MAX_WINDOW_ATTEMPTS'],
    [{ ARCHIVE_MAX_WINDOW_ATTEMPTS: 'many' }, 'ARCHIVE_MAX_WINDOW_ATTEMPTS'],
    [{ ARCHIVE_RETRY_BACKOFF_MINUTES: '1441' }, 'ARCHIVE_RETRY_BACKOFF_MINUTES'],
    [{ ARCHIVE_RETRY_BACKOFF_MINUTES: '-5' }, 'ARCHIVE_RETRY_BACKOFF_MINUTES'],
    [{ ARCHIVE_LEASE_SECONDS: '59' }, 'ARCHIVE_LEASE_SECONDS'],
    [{ ARCHIVE_LEASE_SECONDS: '20m' }, 'ARCHIVE_LEASE_SECONDS'],
  ])('names the variable when %o is bad', (override, variable) => {
    const env = { ...base, ...override } as Record<string, string>;
    for (const [k, v] of Object.entries(override)) if (v === undefined) delete env[k];
    const error = errorOf(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}:`)).toBe(true);
  });
});

describe('refresh tiers', () => {
  it('are turned off by "none" and fall back to [3, 24, 168] when unset or blank', () => {
    expect(loadConfig({ ...base, ARCHIVE_REFRESH_LAG_HOURS: 'none' }).refreshLagHours).toEqual([]);
    expect(loadConfig({ ...base, ARCHIVE_REFRESH_LAG_HOURS: ' ' }).refreshLagHours).toEqual([3, 24, 168]);
  });

  it('explain the accepted forms in the error', () => {
    expect(errorOf({ ...base, ARCHIVE_REFRESH_LAG_HOURS: '3;24' }).message).toBe(
      'ARCHIVE_REFRESH_LAG_HOURS: must list whole numbers of hours from 1 to 744, comma-separated (e.g. 3,24,168), or be "none"',
    );
  });
});

describe('parseHour', () => {
  it('accepts an hour with optional minutes, seconds and Z', () => {
    for (const text of ['2026-11-20T10', '2026-11-20T10:00', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00.000Z']) {
      expect(parseHour(text)?.toISOString()).toBe('2026-11-20T10:00:00.000Z');
    }
  });
  it('rejects non-hours and impossible dates', () => {
    for (const text of ['2026-11-20T10:30', '2026-11-20', '2026-13-01T00', '2026-11-20T24', 'yesterday']) {
      expect(parseHour(text)).toBeUndefined();
    }
  });
});
