/**
 * Turns what the AWS SDK throws into one line a person can act on: the AWS error code and message when
 * AWS answered, or what kept the request from reaching AWS (no region, no credentials, no network), each
 * with the fix. Never a stack trace, never a request body.
 */

/** A described AWS failure. */
export interface AwsFailure {
  /** `Code: message` as AWS answered, or what went wrong before AWS could answer. */
  readonly cause: string;
  /** What to do about it. */
  readonly fix: string;
  /**
   * True when the failure is in the caller's set-up (region, credentials, permissions, a missing resource)
   * rather than a passing outage: the CLI reports these as configuration errors (exit 2).
   */
  readonly configuration: boolean;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
  'RequestTimeout',
]);

const CREDENTIAL_CODES = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
]);

const ACCESS_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden']);

interface ErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly hostname?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly cause?: unknown;
}

function shape(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : { message: String(error) };
}

function firstLine(text: unknown): string {
  return String(text ?? '').split('\n')[0]?.trim() ?? '';
}

/** The socket-level code (ECONNREFUSED, ENOTFOUND, ...) anywhere in the cause chain. */
function networkCode(error: unknown): { code: string; where: string | undefined } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth += 1) {
    const e = shape(current);
    const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : undefined;
    if (code !== undefined && NETWORK_CODES.has(code)) {
      const host = typeof e.hostname === 'string' ? e.hostname : typeof e.address === 'string' ? e.address : undefined;
      const where = host === undefined ? undefined : typeof e.port === 'number' ? `${host}:${e.port}` : host;
      return { code, where };
    }
    current = e.cause;
  }
  return undefined;
}

/** Options of {@link describeAwsError}. */
export interface AwsContext {
  /** The service, as a person names it: `Secrets Manager`, `S3`. */
  readonly service: string;
  /** The variable that overrides its endpoint, e.g. `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  readonly endpointVariable: string;
  /** What to check when AWS says the resource does not exist, e.g. `KORE_SECRET_ID`. */
  readonly notFoundFix?: string;
}

/** Describes an AWS SDK failure; see {@link AwsFailure}. */
export function describeAwsError(error: unknown, context: AwsContext): AwsFailure {
  const e = shape(error);
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = firstLine(e.message);

  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return {
      cause: `no AWS credentials found (${name}: ${message})`,
      fix: 'set AWS_PROFILE (after `aws sso login` if you use SSO) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      configuration: true,
    };
  }
  if (/region is missing/i.test(message)) {
    return {
      cause: 'no AWS region is set',
      fix: 'set AWS_REGION to the stack\'s region (e.g. export AWS_REGION=eu-west-1), or give your AWS profile a region',
      configuration: true,
    };
  }
  const network = networkCode(error);
  if (network !== undefined && e.$metadata?.httpStatusCode === undefined) {
    return {
      cause: `could not reach ${context.service}${network.where === undefined ? '' : ` at ${network.where}`} (${network.code})`,
      fix: `check AWS_REGION, your network or proxy, and ${context.endpointVariable} if you set it`,
      configuration: true,
    };
  }
  const cause = `AWS answered ${name}: ${message}`;
  if (CREDENTIAL_CODES.has(name)) {
    return { cause, fix: 'your AWS credentials are invalid or expired: refresh them (e.g. `aws sso login`) and retry', configuration: true };
  }
  if (ACCESS_CODES.has(name)) {
    return {
      cause,
      fix: `the identity in use may not do this: check it with \`aws sts get-caller-identity\` and its permissions on ${context.service}`,
      configuration: true,
    };
  }
  if (/NotFound|NoSuch/.test(name)) {
    return { cause, fix: context.notFoundFix ?? 'check the name and the region', configuration: true };
  }
  return { cause, fix: 'retry later; if it persists, check the AWS Health Dashboard for the region', configuration: false };
}
