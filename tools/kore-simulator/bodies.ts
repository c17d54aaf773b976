/**
 * Response bodies of the raw-data route, built from the stored JSON bytes without re-serializing a
 * contact, so every record in a body is byte for byte the stored text.
 */
import type { StoredContact } from './store';
import type { MalformedVariant } from './types';

const COMMA = Buffer.from(',');

/** `[c1,c2,...]` from the stored JSON bytes. */
export function resultsArray(page: readonly StoredContact[]): Buffer {
  const parts: Buffer[] = [Buffer.from('[')];
  page.forEach((c, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(c.json);
  });
  parts.push(Buffer.from(']'));
  return Buffer.concat(parts);
}

/** The documented envelope; `step` is the page size the totals are computed with. */
export function pageBody(page: readonly StoredContact[], total: number, skip: number, step: number): Buffer {
  const hasMore = skip + page.length < total;
  return Buffer.concat([
    Buffer.from('{"results":'),
    resultsArray(page),
    Buffer.from(`,"totalResults":${total},"hasMore":${hasMore},"totalPages":${Math.ceil(total / step)}}`),
  ]);
}

/** Well-formed JSON that is not a valid envelope. */
export function malformedBody(variant: MalformedVariant, page: readonly StoredContact[], total: number): Buffer {
  switch (variant) {
    case 'totals-missing':
      return Buffer.concat([Buffer.from('{"results":'), resultsArray(page), Buffer.from('}')]);
    case 'not-an-object':
      return Buffer.from('[]');
    case 'results-not-array':
      return Buffer.from(JSON.stringify({ results: { count: page.length }, totalResults: total, hasMore: false, totalPages: 1 }));
  }
}
