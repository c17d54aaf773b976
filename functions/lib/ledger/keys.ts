/**
 * Where the ledger and the leases live in the archive bucket. Like `archive/layout.ts` (whose LAYOUT
 * these names could join), every ledger key is derived here, so IAM scopes can be derived from the same
 * names: the function needs s3:GetObject and s3:PutObject on `{prefix}/_ledger/*` and `{prefix}/_leases/*`,
 * and s3:DeleteObject on `{prefix}/_leases/*`.
 *
 * ```
 * {prefix}/_ledger/stream_id={id}/dt={YYYY-MM-DD}.json   the stream's 24 hour entries of one UTC day
 * {prefix}/_ledger/stream_id={id}/head.json              the stream's settled watermark (and migration mark)
 * {prefix}/_leases/stream_id={id}.json                   who works on the stream now, until when
 * ```
 */
import { LAYOUT, utcDate } from '../archive/layout';

/** Folder names under the archive prefix (from the archive's LAYOUT, which the IAM grants are derived from). */
export const LEDGER_LAYOUT = Object.freeze({ ledger: LAYOUT.ledger, leases: LAYOUT.leases });

/** The folder of one stream's ledger objects, with a trailing slash. */
export function ledgerStreamPrefix(prefix: string, streamId: string): string {
  return `${prefix}/${LEDGER_LAYOUT.ledger}/stream_id=${streamId}/`;
}

/** The ledger object holding the entries of the UTC day that contains `day`. */
export function ledgerDayKey(prefix: string, streamId: string, day: Date): string {
  return `${ledgerStreamPrefix(prefix, streamId)}dt=${utcDate(day)}.json`;
}

/** The stream's head object: settled watermark and migration mark. */
export function ledgerHeadKey(prefix: string, streamId: string): string {
  return `${ledgerStreamPrefix(prefix, streamId)}head.json`;
}

/** The lease object of one stream. */
export function leaseKey(prefix: string, streamId: string): string {
  return `${prefix}/${LEDGER_LAYOUT.leases}/stream_id=${streamId}.json`;
}
