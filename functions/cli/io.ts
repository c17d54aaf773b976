import { ArchiveError } from '../lib/errors';
import type { RuntimeOverrides } from '../lib/runtime';

/** Where a command writes, what it reads, and the clock: the process's in production, captured in tests. */
export interface CliIo {
  /** Results and progress. A terminal (`isTTY`) gets a live progress display; anything else plain lines. */
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Errors and warnings, one line each. */
  readonly err: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  /** Test seams for the runtime (S3 client, secret reader). */
  readonly overrides?: RuntimeOverrides;
}

/** A command line the CLI cannot run: a wrong flag, value or combination. Exit status 2. */
export class UsageError extends ArchiveError {
  override readonly name: string = 'UsageError';
}
