import { describe, expect, it } from 'vitest';
import { reportOf } from '../../functions/cli/errors';
import { formatBytes, formatCount, formatDuration, formatRate } from '../../functions/cli/format';
import { UsageError } from '../../functions/cli/io';
import { describeAwsError } from '../../functions/lib/aws/aws-error';
import { ConfigError, KoreAuthError, SecretFormatError, SecretReadError } from '../../functions/lib/errors';

/** An error shaped like the AWS SDK's service exceptions. */
function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

const S3 = { service: 'S3', endpointVariable: 'AWS_ENDPOINT_URL_S3' };

describe('describeAwsError', () => {
  it('gives the AWS code and message when AWS answered, with a fix by kind', () => {
    expect(describeAwsError(awsError('AccessDenied', 'Access Denied', 403), S3)).toEqual({
      cause: 'AWS answered AccessDenied: Access Denied',
      fix: 'the identity in use may not do this: check it with `aws sts get-caller-identity` and its permissions on S3',
      configuration: true,
    });
    expect(describeAwsError(awsError('ExpiredToken', 'The security token included in the request is expired'), S3)).toMatchObject({
      fix: expect.stringContaining('refresh them'),
      configuration: true,
    });
    expect(describeAwsError(awsError('NoSuchBucket', 'The specified bucket does not exist', 404), { ...S3, notFoundFix: 'check ARCHIVE_BUCKET' }))
      .toMatchObject({ cause: 'AWS answered NoSuchBucket: The specified bucket does not exist', fix: 'check ARCHIVE_BUCKET' });
    expect(describeAwsError(awsError('InternalError', 'We encountered an internal error', 500), S3)).toMatchObject({ configuration: false });
  });

  it('says what kept the request from AWS: credentials, region, network', () => {
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(describeAwsError(noCredentials, S3).cause).toBe('no AWS credentials found (CredentialsProviderError: Could not load credentials from any providers)');
    expect(describeAwsError(new Error('Region is missing'), S3)).toMatchObject({ cause: 'no AWS region is set', configuration: true });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 });
    expect(describeAwsError(refused, S3)).toMatchObject({ cause: 'could not reach S3 at 127.0.0.1:9 (ECONNREFUSED)' });
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND s3.nowhere'), { code: 'ENOTFOUND', hostname: 's3.nowhere' });
    expect(describeAwsError(new Error('wrapped', { cause: dns }), S3).cause).toBe('could not reach S3 at s3.nowhere (ENOTFOUND)');
  });
});

describe('the CLI report of an error: one line and the exit status', () => {
  it('exits 2 for usage, configuration, secret and credential problems, 1 for the rest', () => {
    expect(reportOf(new UsageError('--from and --to go together'))).toEqual({ line: '--from and --to go together (see --help)', exitCode: 2 });
    expect(reportOf(new ConfigError('KORE_PAGE_SIZE', 'must be a whole number from 1 to 1000')).exitCode).toBe(2);
    expect(reportOf(new SecretFormatError('the secret is not valid JSON')).exitCode).toBe(2);
    expect(reportOf(new SecretReadError('could not read secret s: ...', true)).exitCode).toBe(2);
    expect(reportOf(new SecretReadError('could not read secret s: AWS answered InternalServiceError', false)).exitCode).toBe(1);
    expect(reportOf(new KoreAuthError('POST', '/rawdata', 401, 'bad token'))).toEqual({
      line: 'the Kore API refused the credentials (POST /rawdata failed with HTTP 401: bad token): check clientId/clientSecret (or jwt), accountId and orgId in the secret',
      exitCode: 2,
    });
    expect(reportOf(awsError('AccessDenied', 'Access Denied', 403))).toMatchObject({ line: expect.stringMatching(/^AWS answered AccessDenied: Access Denied; /), exitCode: 2 });
    expect(reportOf(new TypeError('x is not a function\n    at somewhere'))).toEqual({ line: 'TypeError: x is not a function', exitCode: 1 });
  });
});

describe('human units', () => {
  it('formats sizes, durations, counts and rates', () => {
    expect([0, 950, 92_400, 1_000_000, 27_400_000, 5.5e9].map(formatBytes)).toEqual(['0 B', '950 B', '92.4 KB', '1 MB', '27.4 MB', '5.5 GB']);
    expect([850, 4_200, 42_000, 185_000, 7_620_000].map(formatDuration)).toEqual(['850 ms', '4.2 s', '42 s', '3 min 05 s', '2 h 07 min']);
    expect(formatCount(1, 'contact')).toBe('1 contact');
    expect(formatCount(12_480, 'contact')).toBe('12,480 contacts');
    expect(formatCount(2, 'retry', 'retries')).toBe('2 retries');
    expect(formatRate(59, 60_000)).toBe('59.0/min');
    expect(formatRate(3, 500)).toBe('-');
  });
});
