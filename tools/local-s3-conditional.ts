// tools/ is outside tsconfig "include" for some tools, so the ambient s3rver types are pulled in by reference.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./s3rver.d.ts" />
/**
 * S3 conditional requests for s3rver, as the S3 User Guide documents them ("Conditional write
 * behavior", "How to perform conditional deletes"). s3rver 3 ignores `If-Match` / `If-None-Match` on
 * writes, which would let a test of optimistic concurrency pass against a store that enforces nothing.
 *
 * - PutObject and CompleteMultipartUpload with `If-None-Match: *`: 412 PreconditionFailed when the key
 *   exists; 409 ConditionalRequestConflict when a delete of the key succeeded while the write was in
 *   flight (for a multipart upload: since CreateMultipartUpload; the upload is then discarded and must
 *   be started again, as AWS requires).
 * - PutObject and CompleteMultipartUpload with `If-Match: <etag>`: 412 when the current ETag differs;
 *   404 NoSuchKey when there is no object (AWS answers 404, not 412, for a missing key).
 * - GetObject / HeadObject with `If-Match`: 412 when the ETag differs (HEAD without a body).
 * - DeleteObject with `If-Match` (`*` or an ETag): 412 on a mismatch, 404 NoSuchKey when missing.
 *
 * "If multiple conditional writes occur for the same object name, the first write operation to finish
 * succeeds": each write streams its body to a private file, then checks its precondition and renames
 * the file into place under a per-key lock, so the check and the replacement are one step, and readers
 * (which take the same lock) never see a partial object or an ETag of another version.
 *
 * Not emulated, and refused with 501 NotImplemented rather than silently ignored: conditional
 * CopyObject and DeleteObjects with per-object ETags.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type S3rver from 's3rver';
import { KeyLocks } from './key-locks';

/** What one request asks for, carried from the middleware into the store through async context. */
interface RequestConditions {
  readonly kind: 'write' | 'read' | 'delete';
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  /** Sequence number of the request's start (a multipart upload's: its CreateMultipartUpload). */
  readonly since: number;
  readonly uploadId?: string;
}

/** A conditional request that does not hold; the middleware turns it into an S3 error response. */
class ConditionalError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly condition?: string,
  ) {
    super(message);
  }
}

const preconditionFailed = (condition: string): ConditionalError =>
  new ConditionalError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', condition);
const noSuchKey = (): ConditionalError => new ConditionalError(404, 'NoSuchKey', 'The specified key does not exist.');
const conflict = (): ConditionalError =>
  new ConditionalError(
    409,
    'ConditionalRequestConflict',
    'The conditional request cannot succeed due to a conflicting operation against this resource.',
  );
const notImplemented = (what: string): ConditionalError =>
  new ConditionalError(501, 'NotImplemented', `${what} is not emulated by the local S3`);

/** `text` escaped for an XML element. */
export function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Answers like S3: an XML `<Error>` body the SDK turns into an exception named after `code`. */
export function s3Error(ctx: S3rver.Context, status: number, code: string, message: string, condition?: string): void {
  if (ctx.method === 'HEAD') {
    // S3 answers HEAD errors without a body. Koa turns a null body into 204, so the status comes after it.
    ctx.body = null;
    ctx.status = status;
    return;
  }
  ctx.type = 'application/xml';
  ctx.body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message>` +
    `${condition === undefined ? '' : `<Condition>${xml(condition)}</Condition>`}</Error>`;
  ctx.status = status;
}

/** True when an `If-Match` value (`*` or a list of ETags, quoted or not) matches the current ETag. */
function etagMatches(condition: string, etag: string): boolean {
  const bare = (tag: string): string => tag.trim().replace(/^W\//, '').replace(/"/g, '');
  return condition.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

function header(ctx: S3rver.Context, name: string): string | undefined {
  const value = ctx.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Query parameters that select something other than the object itself (`x-id` and `response-*` do not). */
const SUBRESOURCES = ['acl', 'tagging', 'legal-hold', 'retention', 'torrent', 'select', 'uploads', 'uploadId', 'restore', 'attributes'];

function hasSubresource(query: S3rver.Context['query']): boolean {
  return SUBRESOURCES.some((name) => name in query);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * Installs conditional requests on `server`: wraps its store's object operations (atomic, locked,
 * checked) and returns the middleware that reads the headers; put it first in `server.middleware`.
 */
export function conditionalRequests(server: S3rver, uploadsDirectory: (bucket: string) => string): S3rver.Middleware {
  const store = server.store;
  const requests = new AsyncLocalStorage<RequestConditions>();
  const locks = new KeyLocks();
  const deletedAt = new Map<string, number>();
  const uploadStartedAt = new Map<string, number>();
  let sequence = 0;
  const next = (): number => ++sequence;
  const id = (bucket: string, key: string): string => `${bucket}/${key}`;

  const original = {
    putMetadata: store.putMetadata.bind(store),
    getObject: store.getObject.bind(store),
    existsObject: store.existsObject.bind(store),
    deleteObject: store.deleteObject.bind(store),
    copyObject: store.copyObject.bind(store),
  };

  const currentEtag = async (bucket: string, key: string): Promise<string | undefined> => {
    try {
      return (await store.getMetadata(bucket, key)).etag;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
      throw error;
    }
  };

  const checkWrite = async (request: RequestConditions | undefined, bucket: string, key: string): Promise<void> => {
    if (request === undefined || request.kind !== 'write') return;
    if (request.ifMatch === undefined && request.ifNoneMatch === undefined) return;
    const etag = await currentEtag(bucket, key);
    if (request.ifNoneMatch !== undefined) {
      if (etag !== undefined) throw preconditionFailed('If-None-Match');
      if ((deletedAt.get(id(bucket, key)) ?? 0) > request.since) throw conflict();
    }
    if (request.ifMatch !== undefined) {
      if (etag === undefined) throw noSuchKey();
      if (!etagMatches(request.ifMatch, etag)) throw preconditionFailed('If-Match');
    }
  };

  store.putObject = async (object) => {
    const request = requests.getStore();
    const partial = join(uploadsDirectory(object.bucket), '.partial');
    await mkdir(partial, { recursive: true });
    const temporary = join(partial, randomBytes(12).toString('hex'));
    try {
      const hash = createHash('md5');
      let size = 0;
      if (Buffer.isBuffer(object.content)) {
        await writeFile(temporary, object.content);
        hash.update(object.content);
        size = object.content.length;
      } else {
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        });
        await pipeline(object.content ?? Readable.from([]), counter, createWriteStream(temporary));
      }
      const md5 = hash.digest('hex');
      return await locks.run([id(object.bucket, object.key)], async () => {
        await checkWrite(request, object.bucket, object.key);
        const target = store.getResourcePath(object.bucket, object.key, 'object');
        // A delete of a sibling key may remove an emptied folder at any time, so create it right before use.
        for (let attempt = 1; ; attempt += 1) {
          await mkdir(dirname(target), { recursive: true });
          try {
            await rename(temporary, target);
            break;
          } catch (error) {
            if ((error as { code?: unknown }).code !== 'ENOENT' || attempt >= 3) throw error;
          }
        }
        await original.putMetadata(object.bucket, object.key, object.metadata, md5);
        return { size, md5 };
      });
    } finally {
      await rm(temporary, { force: true });
    }
  };

  store.getObject = (bucket, key, options) =>
    locks.run([id(bucket, key)], async () => {
      const request = requests.getStore();
      if (request?.kind === 'read' && request.ifMatch !== undefined) {
        const etag = await currentEtag(bucket, key);
        if (etag !== undefined && !etagMatches(request.ifMatch, etag)) throw preconditionFailed('If-Match');
      }
      return original.getObject(bucket, key, options);
    });

  // s3rver's DeleteObject answers 204 for a missing key without reaching deleteObject; a conditional
  // delete must reach it to answer 404.
  store.existsObject = async (bucket, key) => {
    const request = requests.getStore();
    if (request?.kind === 'delete' && request.ifMatch !== undefined) return true;
    return original.existsObject(bucket, key);
  };

  store.deleteObject = (bucket, key) =>
    locks.run([id(bucket, key)], async () => {
      const request = requests.getStore();
      const etag = await currentEtag(bucket, key);
      if (request?.kind === 'delete' && request.ifMatch !== undefined) {
        if (etag === undefined) throw noSuchKey();
        if (!etagMatches(request.ifMatch, etag)) throw preconditionFailed('If-Match');
      }
      if (etag === undefined) return;
      await original.deleteObject(bucket, key);
      deletedAt.set(id(bucket, key), next());
    });

  store.copyObject = (srcBucket, srcKey, destBucket, destKey, replacement) =>
    locks.run([id(srcBucket, srcKey), id(destBucket, destKey)], () =>
      original.copyObject(srcBucket, srcKey, destBucket, destKey, replacement),
    );

  return async (ctx, nextMiddleware) => {
    const [bucket, ...keyParts] = ctx.path.split('/').slice(1).map(decodeURIComponent);
    const key = keyParts.join('/');
    if (bucket === undefined || bucket === '') return nextMiddleware();
    const ifMatch = header(ctx, 'if-match');
    const ifNoneMatch = header(ctx, 'if-none-match');
    const uploadId = typeof ctx.query.uploadId === 'string' ? ctx.query.uploadId : undefined;
    let request: RequestConditions | undefined;

    try {
      if (key === '') {
        if (ctx.method === 'POST' && 'delete' in ctx.query) {
          const body = await readAll(ctx.req);
          if (/<ETag>/i.test(body.toString('utf8'))) throw notImplemented('DeleteObjects with ETag conditions');
          ctx.req = Readable.from([body]);
        }
      } else if (ctx.method === 'PUT' && !hasSubresource(ctx.query)) {
        if (ctx.headers['x-amz-copy-source'] !== undefined) {
          if (ifMatch !== undefined || ifNoneMatch !== undefined) throw notImplemented('A conditional CopyObject');
        } else {
          if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw notImplemented('If-None-Match other than "*"');
          request = { kind: 'write', ifMatch, ifNoneMatch, since: next() };
        }
      } else if (ctx.method === 'POST' && 'uploads' in ctx.query) {
        const since = next();
        await nextMiddleware();
        const created = typeof ctx.body === 'string' ? /<UploadId>([^<]+)<\/UploadId>/.exec(ctx.body) : null;
        if (created?.[1] !== undefined) uploadStartedAt.set(created[1], since);
        return;
      } else if (ctx.method === 'POST' && uploadId !== undefined) {
        if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw notImplemented('If-None-Match other than "*"');
        request = { kind: 'write', ifMatch, ifNoneMatch, since: uploadStartedAt.get(uploadId) ?? 0, uploadId };
      } else if ((ctx.method === 'GET' || ctx.method === 'HEAD') && !hasSubresource(ctx.query)) {
        request = { kind: 'read', ifMatch, since: next() };
      } else if (ctx.method === 'DELETE' && !hasSubresource(ctx.query)) {
        request = { kind: 'delete', ifMatch, since: next() };
      }

      await (request === undefined ? nextMiddleware() : requests.run(request, nextMiddleware));
      if (request?.uploadId !== undefined && ctx.status === 200) uploadStartedAt.delete(request.uploadId);
    } catch (error) {
      if (!(error instanceof ConditionalError)) throw error;
      if (error.status === 409 && request?.uploadId !== undefined && /^[0-9a-f]{1,64}$/.test(request.uploadId)) {
        // AWS: after a 409 the whole multipart upload must be started again.
        await rm(join(uploadsDirectory(bucket), request.uploadId), { recursive: true, force: true });
        uploadStartedAt.delete(request.uploadId);
      }
      s3Error(ctx, error.status, error.code, error.message, error.condition);
    }
  };
}
