/**
 * Names the S3 API operation of a path-style HTTP request (the addressing the project uses against every
 * custom endpoint), from its method, query parameters and the copy-source header, as S3 itself routes it.
 */

/** The S3 operations the archive and its tests use, plus the bucket-level ones s3rver answers. */
export type S3Operation =
  | 'PutObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'ListMultipartUploads'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'ListObjectsV2'
  | 'ListObjects'
  | 'HeadBucket'
  | 'CreateBucket'
  | 'DeleteBucket'
  | 'Other';

/** An S3 request as the fault proxy sees it. */
export interface S3RequestInfo {
  readonly method: string;
  /** Path and query as sent, e.g. `/bucket/a/b.json?uploadId=1`. */
  readonly url: string;
  readonly operation: S3Operation;
  readonly bucket: string;
  /** Object key (decoded); `''` for bucket-level requests. */
  readonly key: string;
}

/** Bucket sub-resources a GET on the bucket reads instead of listing it. */
const BUCKET_SUBRESOURCES = ['location', 'versioning', 'policy', 'acl', 'cors', 'lifecycle', 'tagging', 'versions', 'encryption', 'notification', 'website', 'logging', 'replication', 'object-lock', 'ownershipControls', 'publicAccessBlock'];

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Classifies one request. `headers` only needs `x-amz-copy-source` (lower case, as node:http gives it). */
export function classifyS3Request(method: string, url: string, headers: Readonly<Record<string, unknown>> = {}): S3RequestInfo {
  const parsed = new URL(url, 'http://s3.local');
  const [, bucket = '', ...rest] = parsed.pathname.split('/');
  const key = rest.map(decode).join('/');
  const q = parsed.searchParams;
  const copy = headers['x-amz-copy-source'] !== undefined;
  const m = method.toUpperCase();
  const operation = ((): S3Operation => {
    if (key === '') {
      if (m === 'GET') {
        if (q.get('list-type') === '2') return 'ListObjectsV2';
        if (q.has('uploads')) return 'ListMultipartUploads';
        return BUCKET_SUBRESOURCES.some((r) => q.has(r)) ? 'Other' : 'ListObjects';
      }
      if (m === 'POST' && q.has('delete')) return 'DeleteObjects';
      if (m === 'HEAD') return 'HeadBucket';
      if (m === 'PUT' && [...q.keys()].every((k) => k === 'x-id')) return 'CreateBucket';
      if (m === 'DELETE' && [...q.keys()].every((k) => k === 'x-id')) return 'DeleteBucket';
      return 'Other';
    }
    switch (m) {
      case 'PUT':
        if (q.has('partNumber') && q.has('uploadId')) return copy ? 'UploadPartCopy' : 'UploadPart';
        if (copy) return 'CopyObject';
        // The SDK tags plain operations with `x-id`; any other parameter is a sub-resource (tagging, acl, ...).
        return [...q.keys()].every((k) => k === 'x-id') ? 'PutObject' : 'Other';
      case 'POST':
        return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'Other';
      case 'DELETE':
        return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
      case 'GET':
        return q.has('uploadId') ? 'ListParts' : 'GetObject';
      case 'HEAD':
        return 'HeadObject';
      default:
        return 'Other';
    }
  })();
  return { method: m, url, operation, bucket: decode(bucket), key };
}
