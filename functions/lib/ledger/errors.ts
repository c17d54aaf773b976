/**
 * Errors of the ledger and the lease. They extend the project's hierarchy (functions/lib/errors.ts);
 * messages name the S3 key involved, never a value from the archived data.
 */
import { ArchiveError, ArchiveWriteError } from '../errors';

/** A ledger or lease object is not valid JSON or not a valid document; the message names its key. */
export class LedgerCorruptError extends ArchiveError {
  override readonly name: string = 'LedgerCorruptError';
}

/** A conditional update kept losing to other writers and gave up; nothing was lost, nothing written. */
export class LedgerConflictError extends ArchiveWriteError {
  override readonly name: string = 'LedgerConflictError';
}

/**
 * A conditional write or delete found the object changed (412 PreconditionFailed), in conflict with
 * another request (409 ConditionalRequestConflict) or gone (404 on `If-Match`). The caller reads again.
 */
export class PreconditionLostError extends ArchiveError {
  override readonly name: string = 'PreconditionLostError';
}

/**
 * The run's lease on a stream expired and another run took it over: this run must stop working on the
 * stream (what it already committed stays valid; what it did not, the new holder redoes).
 */
export class LeaseLostError extends ArchiveError {
  override readonly name: string = 'LeaseLostError';
}
