/**
 * How the CLI ends on an error: one line on stderr naming the cause and the fix, and the documented exit
 * status (1 when hours failed, 2 for a usage, configuration, credential or secret problem). The stack trace
 * and the chain of causes only with `--verbose`.
 */
import { ConfigError, EventValidationError, KoreAuthError, SecretFormatError, SecretReadError } from '../lib/errors';
import { describeAwsError } from '../lib/aws/aws-error';
import { UsageError } from './io';

/** Exit statuses, as `--help` documents them. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

/** A failure reduced to what the user sees. */
export interface Report {
  readonly line: string;
  readonly exitCode: number;
}

function isAwsSdkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { $metadata?: unknown; name?: unknown; message?: unknown };
  return e.$metadata !== undefined || e.name === 'CredentialsProviderError' || /region is missing/i.test(String(e.message));
}

/** The one line and exit status for an error that ended a command. */
export function reportOf(error: unknown): Report {
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  if (error instanceof UsageError) return { line: `${message} (see --help)`, exitCode: EXIT.usage };
  if (error instanceof EventValidationError) return { line: `${message} (see --help)`, exitCode: EXIT.usage };
  if (error instanceof ConfigError) {
    return { line: `${message}: fix the variable and run again (see --help for the variables)`, exitCode: EXIT.usage };
  }
  if (error instanceof SecretFormatError) {
    return { line: `${message}; fix the secret's JSON (see docs/configuration.md, "The Kore connection secret")`, exitCode: EXIT.usage };
  }
  if (error instanceof SecretReadError) return { line: message, exitCode: error.configuration ? EXIT.usage : EXIT.failed };
  if (error instanceof KoreAuthError) {
    return {
      line: `the Kore API refused the credentials (${message}): check clientId/clientSecret (or jwt), accountId and orgId in the secret`,
      exitCode: EXIT.usage,
    };
  }
  if (isAwsSdkError(error)) {
    const failure = describeAwsError(error, { service: 'AWS', endpointVariable: 'AWS_ENDPOINT_URL_S3' });
    return { line: `${failure.cause}; ${failure.fix}`, exitCode: failure.configuration ? EXIT.usage : EXIT.failed };
  }
  const name = error instanceof Error ? error.name : 'Error';
  return { line: `${name}: ${message}`, exitCode: EXIT.failed };
}

/** The stack and every cause, for `--verbose`. */
export function verboseDetail(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    parts.push(depth === 0 ? String((current as Error).stack ?? current) : `caused by: ${String((current as Error).stack ?? current)}`);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

/** Writes the report of `error` to `err` and returns the exit status. */
export function reportError(error: unknown, err: NodeJS.WritableStream, verbose: boolean): number {
  const report = reportOf(error);
  err.write(`kore-qa-archive: ${report.line}\n`);
  if (verbose) err.write(`${verboseDetail(error)}\n`);
  return report.exitCode;
}
