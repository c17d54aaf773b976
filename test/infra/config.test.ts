import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ENV, loadConfig } from '../../functions/lib/config';
import { backlogWarning } from '../../infra/first-deploy';
import { ConfigError } from '../../functions/lib/errors';
import { CONTEXT_KEY, loadInfraConfig, parseInfraConfig } from '../../infra/config';
import { exampleConfig } from './support/synth';

/** Parses the example configuration with some keys replaced (undefined removes a key). */
function parseWith(changes: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const raw: Record<string, unknown> = { ...exampleConfig(), ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete raw[key];
  return parseInfraConfig(raw, overrides);
}

/** The ConfigError thrown by `fn` (fails the test when nothing or something else is thrown). */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

describe('infra configuration: the example in cdk.json', () => {
  it('parses into a frozen object with the documented values', () => {
    const config = parseInfraConfig(exampleConfig());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.streamIds)).toBe(true);
    expect(config).toMatchObject({
      streamIds: ['st-example-1'],
      scheduleMinute: 5,
      refreshLagHours: [3, 24, 168],
      pageSize: 100,
      rateLimitRpm: 60,
      archiveStart: undefined,
      archiveStartDate: undefined,
      prefix: 'kore-qa',
      logRetentionDays: 90,
      alarmEmail: undefined,
      existingBucketName: undefined,
      existingSecretArn: undefined,
      encryption: { kind: 's3-managed' },
      athenaBytesScannedCutoffMb: 10_240,
    });
  });

  it('fills defaults when only the required keys are given', () => {
    const config = parseInfraConfig({ streamIds: ['a'], archiveStart: '2026-03-04T05' });
    expect(config).toMatchObject({
      scheduleMinute: 5,
      pageSize: 100,
      prefix: 'kore-qa',
      archiveStartDate: '2026-03-04',
      refreshLagHours: [3, 24, 168],
      lifecycle: { infrequentAccessAfterDays: 30, glacierIrAfterDays: 180, stagingExpirationDays: 1 },
    });
  });

  it('builds a function environment that the function itself accepts', () => {
    const config = parseWith({
      streamIds: ['a', 'b.c'],
      pagingMode: 'offset',
      includeBelowThreshold: false,
      maxCatchUpHours: 48,
      refreshLagHours: [168, 24],
      requestsInFlight: 3,
    });
    expect(config.functionSettings).toEqual({
      [ENV.streamIds]: 'a,b.c',
      [ENV.pageSize]: '100',
      [ENV.rateLimitRpm]: '60',
      [ENV.pagingMode]: 'offset',
      [ENV.includeBelowThreshold]: 'false',
      [ENV.maxCatchUpHours]: '48',
      [ENV.refreshLagHours]: '168,24',
      [ENV.requestsInFlight]: '3',
    });
    const fn = loadConfig({ ...config.functionSettings, [ENV.bucket]: 'b', [ENV.secretId]: 's', [ENV.prefix]: config.prefix });
    expect(fn.streamIds).toEqual(['a', 'b.c']);
    expect(fn.pagingMode).toBe('offset');
    expect(fn.includeBelowThreshold).toBe(false);
    expect(fn.maxCatchUpHours).toBe(48);
    expect(fn.refreshLagHours).toEqual([24, 168]);
    expect(fn.requestsInFlight).toBe(3);
  });
});

describe('infra configuration: refreshLagHours', () => {
  /** The function's view of the environment the stack would set. */
  function functionConfig(settings: Readonly<Record<string, string>>) {
    return loadConfig({ ...settings, [ENV.bucket]: 'b', [ENV.secretId]: 's' });
  }

  it('defaults to the ledger tiers [3, 24, 168], also when null ("not set"), and reaches the function as ARCHIVE_REFRESH_LAG_HOURS', () => {
    expect(ENV.refreshLagHours).toBe('ARCHIVE_REFRESH_LAG_HOURS');
    for (const config of [parseWith({ refreshLagHours: undefined }), parseWith({ refreshLagHours: null })]) {
      expect(config.refreshLagHours).toEqual([3, 24, 168]);
      expect(config.functionSettings[ENV.refreshLagHours]).toBe('3,24,168');
      expect(functionConfig(config.functionSettings).refreshLagHours).toEqual([3, 24, 168]);
    }
    expect(Object.isFrozen(parseWith({}).refreshLagHours)).toBe(true);
  });

  it('is turned off by [], which the function reads as "none" (unset would mean its default tiers)', () => {
    const config = parseWith({ refreshLagHours: [] });
    expect(config.refreshLagHours).toEqual([]);
    expect(config.functionSettings[ENV.refreshLagHours]).toBe('none');
    expect(functionConfig(config.functionSettings).refreshLagHours).toEqual([]);
  });

  it('accepts the whole range, 1 to 744 hours', () => {
    const config = parseWith({ refreshLagHours: [1, 744] });
    expect(config.functionSettings[ENV.refreshLagHours]).toBe('1,744');
    expect(functionConfig(config.functionSettings).refreshLagHours).toEqual([1, 744]);
  });

  it.each([
    [[0], 'must be a list of whole hours from 1 to 744'],
    [[745], 'must be a list of whole hours from 1 to 744'],
    [[24, 1.5], 'must be a list of whole hours from 1 to 744'],
    [[-24], 'must be a list of whole hours from 1 to 744'],
    [['24h'], 'must be a list of whole hours from 1 to 744'],
    [[[24]], 'must be a list of whole hours from 1 to 744'],
    ['a day', 'must be a list of whole hours from 1 to 744'],
    [{ hours: 24 }, 'must be a list of whole hours from 1 to 744'],
    [true, 'must be a list of whole hours from 1 to 744'],
    [[24, 48, 24], 'lists an hour twice'],
  ])('%j is refused, naming kore-qa-archive.refreshLagHours', (value, problem) => {
    const error = configErrorOf(() => parseWith({ refreshLagHours: value }));
    expect(error.variable).toBe('kore-qa-archive.refreshLagHours');
    expect(error.message).toBe(`kore-qa-archive.refreshLagHours: ${problem}${problem.startsWith('must') ? ', e.g. [24] ([] turns refreshing off)' : ''}`);
  });

  it.each([
    ['24', [24]],
    ['24,168', [24, 168]],
    [' 24 , 48 ', [24, 48]],
    ['[6,24]', [6, 24]],
    ['[]', []],
    ['null', [3, 24, 168]],
  ])('-c kore-qa-archive.refreshLagHours=%s gives %j', (text, hours) => {
    expect(parseWith({}, { 'kore-qa-archive.refreshLagHours': text }).refreshLagHours).toEqual(hours);
  });

  it('validates a command-line value like any other', () => {
    const error = configErrorOf(() => parseWith({}, { 'kore-qa-archive.refreshLagHours': '24,24' }));
    expect(error.variable).toBe('kore-qa-archive.refreshLagHours');
    expect(error.message).toContain('lists an hour twice');
  });
});

describe('infra configuration: the first deploy', () => {
  it('starts at the first run by default: no ARCHIVE_START, so no catch-up of months', () => {
    for (const archiveStart of [null, undefined]) {
      const config = parseWith({ archiveStart });
      expect(config.archiveStart).toBeUndefined();
      expect(config.functionSettings[ENV.archiveStart]).toBeUndefined();
    }
  });

  it('passes an explicit archiveStart to the function and to the projection start', () => {
    const config = parseWith({ archiveStart: '2026-10-01T00' });
    expect(config.functionSettings[ENV.archiveStart]).toBe('2026-10-01T00');
    expect(config.archiveStartDate).toBe('2026-10-01');
  });

  it('warns when archiveStart implies days of hourly catch-up, and says how to avoid it', () => {
    const now = new Date('2026-11-21T10:30:00Z');
    expect(backlogWarning(undefined, {}, now)).toBeUndefined();
    expect(backlogWarning('2026-11-20T00', {}, now)).toBeUndefined();
    expect(backlogWarning('2026-01-01T00', {}, now)).toBe(
      'kore-qa-archive.archiveStart 2026-01-01T00 is 7786 hours ago: the hourly runs will catch up at most 24 hours per stream per run, ' +
        'about 325 runs (14 days) with the hours-behind alarm up meanwhile. To start from now instead, set archiveStart to null and ' +
        'archive history with the backfill command (docs/operations.md).',
    );
    expect(backlogWarning('2026-11-01T00', { [ENV.maxCatchUpHours]: '100' }, now)).toContain('at most 100 hours per stream per run, about 5 runs');
  });
});

describe('infra configuration: errors name the context key', () => {
  it.each([
    [{ scheduleMinute: 60 }, 'kore-qa-archive.scheduleMinute', 'must be an integer from 0 to 59'],
    [{ scheduleMinute: 'five' }, 'kore-qa-archive.scheduleMinute', 'must be an integer from 0 to 59'],
    [{ scheduleMinute: 4.5 }, 'kore-qa-archive.scheduleMinute', 'must be an integer from 0 to 59'],
    [{ pageSize: 0 }, 'kore-qa-archive.pageSize', 'must be an integer from 1 to 1000'],
    [{ rateLimitRpm: 10_000 }, 'kore-qa-archive.rateLimitRpm', 'must be an integer from 1 to 6000'],
    [{ streamIds: [] }, 'kore-qa-archive.streamIds', 'at least one stream id'],
    [{ streamIds: undefined }, 'kore-qa-archive.streamIds', 'must be a list of stream ids'],
    [{ archiveStart: 'yesterday' }, 'kore-qa-archive.archiveStart', 'must be an hour in UTC like 2026-01-01T00, or null'],
    [{ archiveStart: '2026-02-30T00' }, 'kore-qa-archive.archiveStart', 'must be an hour in UTC'],
    [{ logRetentionDays: 100 }, 'kore-qa-archive.logRetentionDays', 'must be one of'],
    [{ alarmEmail: 'not-an-address' }, 'kore-qa-archive.alarmEmail', 'must be an e-mail address'],
    [{ existingBucketName: 'Bad_Bucket' }, 'kore-qa-archive.existingBucketName', 'must be an S3 bucket name'],
    [
      { existingSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kore' },
      'kore-qa-archive.existingSecretArn',
      'complete ARN',
    ],
    [{ kmsKeyArn: 'alias/mine' }, 'kore-qa-archive.kmsKeyArn', 'must be a KMS key ARN'],
    [
      { kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', createKmsKey: true },
      'kore-qa-archive.createKmsKey',
      'not both',
    ],
    [{ athenaBytesScannedCutoffMb: 5 }, 'kore-qa-archive.athenaBytesScannedCutoffMb', 'from 10 to'],
    [{ glueDatabaseName: 'Kore-QA' }, 'kore-qa-archive.glueDatabaseName', 'Glue database name'],
    [{ scheduleMinutes: 5 }, 'kore-qa-archive', 'unknown key(s) scheduleMinutes'],
    [{ pagingMode: 'cursor' }, 'kore-qa-archive.pagingMode', 'must be "page" or "offset"'],
  ])('%j -> %s', (changes, key, problem) => {
    const error = configErrorOf(() => parseWith(changes));
    expect(error.variable).toBe(key);
    expect(error.message).toContain(problem);
    expect(error.message.startsWith(`${key}: `)).toBe(true);
  });

  it('names the nested key of a lifecycle problem', () => {
    const error = configErrorOf(() =>
      parseWith({ lifecycle: { infrequentAccessAfterDays: 30, glacierIrAfterDays: 40, noncurrentVersionExpirationDays: 30 } }),
    );
    expect(error.variable).toBe('kore-qa-archive.lifecycle.glacierIrAfterDays');
  });

  it('refuses Standard-IA before the 30 days S3 requires', () => {
    const error = configErrorOf(() => parseWith({ lifecycle: { infrequentAccessAfterDays: 7 } }));
    expect(error.variable).toBe('kore-qa-archive.lifecycle.infrequentAccessAfterDays');
  });

  it('uses the function’s own rules for values that reach its environment, and names the context key', () => {
    const badId = configErrorOf(() => parseWith({ streamIds: ['ok', 'not/ok'] }));
    expect(badId.variable).toBe('kore-qa-archive.streamIds');
    expect(badId.message).toContain('letters, digits');
    const duplicate = configErrorOf(() => parseWith({ streamIds: ['a', 'a'] }));
    expect(duplicate.variable).toBe('kore-qa-archive.streamIds');
    const badPrefix = configErrorOf(() => parseWith({ prefix: '/leading/slash' }));
    expect(badPrefix.variable).toBe('kore-qa-archive.prefix');
    const timeout = configErrorOf(() => parseWith({ requestTimeoutMs: 10 }));
    expect(timeout.variable).toBe('kore-qa-archive.requestTimeoutMs');
    expect(timeout.message).not.toContain(ENV.requestTimeoutMs);
    const inFlight = configErrorOf(() => parseWith({ requestsInFlight: 0 }));
    expect(inFlight.variable).toBe('kore-qa-archive.requestsInFlight');
  });

  it('reports every problem at once', () => {
    const error = configErrorOf(() => parseWith({ scheduleMinute: -1, pageSize: 5000 }));
    expect(error.message).toContain('kore-qa-archive.scheduleMinute');
    expect(error.message).toContain('kore-qa-archive.pageSize');
  });

  it('says what to do when the whole key is missing or not an object', () => {
    expect(configErrorOf(() => parseInfraConfig(undefined)).message).toMatch(/^kore-qa-archive: is missing.*cdk\.json/);
    expect(configErrorOf(() => parseInfraConfig([1, 2])).variable).toBe(CONTEXT_KEY);
    expect(configErrorOf(() => parseInfraConfig('{not json')).variable).toBe(CONTEXT_KEY);
  });
});

describe('infra configuration: -c overrides', () => {
  it('accepts the whole object as a JSON string (what -c kore-qa-archive=... gives)', () => {
    const config = parseInfraConfig(JSON.stringify({ streamIds: ['x'], archiveStart: '2026-01-01T00', scheduleMinute: 12 }));
    expect(config.streamIds).toEqual(['x']);
    expect(config.scheduleMinute).toBe(12);
  });

  it('applies dotted keys on top of the object, parsing the command-line strings', () => {
    const config = parseWith(
      {},
      {
        'kore-qa-archive.streamIds': 'st-a, st-b',
        'kore-qa-archive.scheduleMinute': '17',
        'kore-qa-archive.alarmEmail': 'ops@example.com',
        'kore-qa-archive.createKmsKey': 'true',
        'kore-qa-archive.lifecycle.glacierIrAfterDays': '365',
        'some-other-key': 'ignored',
      },
    );
    expect(config.streamIds).toEqual(['st-a', 'st-b']);
    expect(config.scheduleMinute).toBe(17);
    expect(config.alarmEmail).toBe('ops@example.com');
    expect(config.encryption).toEqual({ kind: 'kms-created' });
    expect(config.lifecycle.glacierIrAfterDays).toBe(365);
    expect(config.lifecycle.infrequentAccessAfterDays).toBe(30);
  });

  it('validates overridden values like any other', () => {
    const error = configErrorOf(() => parseWith({}, { 'kore-qa-archive.scheduleMinute': '99' }));
    expect(error.variable).toBe('kore-qa-archive.scheduleMinute');
  });

  it('reads both from a construct’s context', () => {
    const app = new App({
      context: {
        [CONTEXT_KEY]: { streamIds: ['from-context'], archiveStart: '2026-01-01T00' },
        [`${CONTEXT_KEY}.pageSize`]: '250',
      },
    });
    const config = loadInfraConfig(app);
    expect(config.streamIds).toEqual(['from-context']);
    expect(config.pageSize).toBe(250);
  });
});
