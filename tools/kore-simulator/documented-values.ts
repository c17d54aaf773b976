/**
 * Values the vendor documents but its samples never show (issue 12 item 5), switched on with the
 * `documentedValues` option. Key spellings stay those of the samples (`duration_status`,
 * `Metrics[].Qualification`, `Kore Evaluation Score`), the only spellings in both local reference pages.
 */
import type { Rng } from './prng';
import type { RawContactLike } from './types';

/** Share of evaluated contacts whose `duration_status` is null (ingested before the threshold feature). */
export const NULL_DURATION_STATUS_SHARE = 0.15;
/** Share of judged metrics whose `Qualification` is `"-"`. */
export const DASH_QUALIFICATION_SHARE = 0.08;
/** Share of scored points-form contacts whose score is negative (negative weights outweigh the positive ones). */
export const NEGATIVE_SCORE_SHARE = 0.25;

/**
 * Rewrites a contact in place:
 * - below-threshold contacts get `Kore Evaluation Score: null` (they are never scored);
 * - some evaluated contacts get `duration_status: null`;
 * - some metrics with a `Qualification` get `"-"`;
 * - some points-form scores become negative, down to -100 (`IsPassed` false, as a negative score never passes).
 */
export function applyDocumentedValues(rng: Rng, contact: RawContactLike): void {
  if (contact.duration_status === 'below_threshold') {
    contact['Kore Evaluation Score'] = null;
    return;
  }
  if (contact.duration_status === 'evaluated' && rng.chance(NULL_DURATION_STATUS_SHARE)) contact.duration_status = null;
  for (const metric of (contact.Metrics as Record<string, unknown>[] | undefined) ?? []) {
    if ('Qualification' in metric && rng.chance(DASH_QUALIFICATION_SHARE)) metric.Qualification = '-';
  }
  const score = contact['Kore Evaluation Score'];
  if (typeof score === 'number' && contact['Evaluation Form Scoring Type'] === 'points' && rng.chance(NEGATIVE_SCORE_SHARE)) {
    contact['Kore Evaluation Score'] = -rng.int(1, 100);
    contact.IsPassed = false;
  }
}
