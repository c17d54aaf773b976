/**
 * The error hierarchy of kore-qa-archive. Every error the tool raises on purpose is an
 * {@link ArchiveError}; messages name the problem (a variable, a key, a path, a status) and never
 * a secret value or a token. The original error is kept as `cause`.
 */
export class ArchiveError extends Error {
  override readonly name: string = 'ArchiveError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An environment variable (or CDK context value) is missing or malformed; the message names it. */
export class ConfigError extends ArchiveError {
  override readonly name: string = 'ConfigError';
  constructor(
    /** The variable's name, e.g. `KORE_STREAM_IDS`. */
    readonly variable: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${problem}`, options);
  }
}

/** The Kore connection secret is not valid JSON or misses a key; the message names the key, never a value. */
export class SecretFormatError extends ArchiveError {
  override readonly name: string = 'SecretFormatError';
}

/**
 * The Kore connection secret could not be read from Secrets Manager. The message names the secret id, the
 * AWS error code and message (or what kept the request from AWS) and the fix; never a value.
 */
export class SecretReadError extends ArchiveError {
  override readonly name: string = 'SecretReadError';
  constructor(
    message: string,
    /** True when the cause is the caller's set-up (region, credentials, access, a wrong id), not an outage. */
    readonly configuration: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A manual or scheduled invocation event that cannot be understood. Raised before anything is fetched. */
export class EventValidationError extends ArchiveError {
  override readonly name: string = 'EventValidationError';
}

/**
 * The Kore API answered with an error status. Reduced to method, path (no host, no query), status and
 * the API's own message, so it is safe to log.
 */
export class KoreApiError extends ArchiveError {
  override readonly name: string = 'KoreApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly apiMessage: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${path} failed with HTTP ${status}${apiMessage ? `: ${apiMessage}` : ''}`, options);
  }
}

/** The Kore API rejected our credentials (HTTP 401/403) and a fresh token did not help. */
export class KoreAuthError extends KoreApiError {
  override readonly name: string = 'KoreAuthError';
}

/** The Kore API answered 2xx with a body that is not a valid raw-data envelope. Retried. */
export class KoreResponseError extends ArchiveError {
  override readonly name: string = 'KoreResponseError';
}

/** Paging went wrong: a page repeated the previous one, or the page cap was hit. Not retried. */
export class PagingError extends ArchiveError {
  override readonly name: string = 'PagingError';
}

/** Retries were exhausted (attempts or time budget); `cause` is the last error. */
export class RetryExhaustedError extends ArchiveError {
  override readonly name: string = 'RetryExhaustedError';
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Writing to the archive (S3) failed; nothing partial was made visible. */
export class ArchiveWriteError extends ArchiveError {
  override readonly name: string = 'ArchiveWriteError';
}

/** A stored archive line cannot be rebuilt (not a JSON object, or no `raw` contact text in it). */
export class StoredRowError extends ArchiveError {
  override readonly name: string = 'StoredRowError';
}
