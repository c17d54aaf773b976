/**
 * The local S3 enforces conditional requests as the S3 User Guide documents them, checked over real
 * HTTP with the real AWS SDK: what the ledger, the lease and the writer rely on for concurrency.
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3 } from '../../tools/local-s3';
import type { LocalS3 } from '../../tools/local-s3';

let local: LocalS3;
let counter = 0;
/** A fresh key per test, so tests never see each other's objects. */
const freshKey = (): string => `conditional/key-${++counter}.json`;

beforeAll(async () => {
  local = await startLocalS3();
});

afterAll(async () => {
  await local?.close();
});

async function put(key: string, body: string, conditions: { IfMatch?: string; IfNoneMatch?: string } = {}): Promise<string> {
  const response = await local.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: key, Body: body, ...conditions }));
  if (response.ETag === undefined) throw new Error('PutObject returned no ETag');
  return response.ETag;
}

async function text(key: string): Promise<string> {
  return (await local.getObject(key)).toString('utf8');
}

/** The error an S3 call fails with, as the SDK reports it: name and HTTP status. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to fail, but it succeeded');
}

async function startUpload(key: string, body: string): Promise<{ uploadId: string; parts: { PartNumber: number; ETag: string }[] }> {
  const created = await local.s3.send(new CreateMultipartUploadCommand({ Bucket: local.bucket, Key: key }));
  const uploadId = created.UploadId ?? '';
  const part = await local.s3.send(
    new UploadPartCommand({ Bucket: local.bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: body }),
  );
  return { uploadId, parts: [{ PartNumber: 1, ETag: part.ETag ?? '' }] };
}

function complete(key: string, upload: { uploadId: string; parts: { PartNumber: number; ETag: string }[] }, conditions: { IfMatch?: string; IfNoneMatch?: string }) {
  return local.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: local.bucket,
      Key: key,
      UploadId: upload.uploadId,
      MultipartUpload: { Parts: upload.parts },
      ...conditions,
    }),
  );
}

async function uploadIds(key: string): Promise<string[]> {
  const listed = await local.s3.send(new ListMultipartUploadsCommand({ Bucket: local.bucket, Prefix: key }));
  return (listed.Uploads ?? []).map((u) => u.UploadId ?? '');
}

describe('PutObject with If-None-Match: *', () => {
  it('creates a missing key and refuses an existing one with 412 PreconditionFailed, leaving it unchanged', async () => {
    const key = freshKey();
    await put(key, 'first', { IfNoneMatch: '*' });

    expect(await failure(put(key, 'second', { IfNoneMatch: '*' }))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await text(key)).toBe('first');
  });

  it('lets exactly one of many simultaneous creates win', async () => {
    const key = freshKey();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => put(key, `writer-${i}`, { IfNoneMatch: '*' })),
    );

    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as Error).name).toBe('PreconditionFailed');
    }
    expect(await text(key)).toBe(`writer-${won[0]}`);
  });

  it('answers 409 ConditionalRequestConflict when the key is deleted while the write is in flight', async () => {
    const key = freshKey();
    await put(key, 'old');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sentFirstChunk!: () => void;
    const firstChunkSent = new Promise<void>((resolve) => (sentFirstChunk = resolve));
    const body = Readable.from(
      (async function* () {
        yield Buffer.from('new-');
        sentFirstChunk();
        await released;
        yield Buffer.from('body');
      })(),
    );

    // The SDK warns on the console when a streaming request fails (it cannot retry it); that failure is the point here.
    const quiet = local.createClient();
    quiet.config.logger = { debug() {}, info() {}, warn() {}, error() {} };
    const writing = failure(
      quiet.send(new PutObjectCommand({ Bucket: local.bucket, Key: key, Body: body, ContentLength: 8, IfNoneMatch: '*' })),
    );
    await firstChunkSent;
    await local.s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key: key }));
    release();

    expect(await writing).toEqual({ name: 'ConditionalRequestConflict', status: 409 });
    expect(await local.listKeys(key)).toEqual([]);
  });

  it('refuses If-None-Match with an ETag, which S3 does not support on writes', async () => {
    const key = freshKey();
    expect(await failure(put(key, 'x', { IfNoneMatch: '"abc"' }))).toEqual({ name: 'NotImplemented', status: 501 });
  });
});

describe('PutObject with If-Match', () => {
  it('replaces the object when the ETag matches and refuses a stale ETag with 412', async () => {
    const key = freshKey();
    const first = await put(key, 'v1');
    const second = await put(key, 'v2', { IfMatch: first });

    expect(second).not.toBe(first);
    expect(await failure(put(key, 'v3', { IfMatch: first }))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await text(key)).toBe('v2');
  });

  it('answers 404 NoSuchKey when there is no object to compare with, as AWS does', async () => {
    const key = freshKey();
    expect(await failure(put(key, 'v1', { IfMatch: '"0123456789abcdef0123456789abcdef"' }))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
    expect(await local.listKeys(key)).toEqual([]);
  });

  it('never loses an update among concurrent read-modify-write loops', async () => {
    const key = freshKey();
    await put(key, JSON.stringify({ count: 0 }), { IfNoneMatch: '*' });
    let conflicts = 0;
    const increment = async (): Promise<void> => {
      for (;;) {
        const read = await local.s3.send(new GetObjectCommand({ Bucket: local.bucket, Key: key }));
        const value = JSON.parse((await read.Body?.transformToString()) ?? '') as { count: number };
        try {
          await put(key, JSON.stringify({ count: value.count + 1 }), { IfMatch: read.ETag ?? '' });
          return;
        } catch (error) {
          if ((error as Error).name !== 'PreconditionFailed') throw error;
          conflicts += 1;
        }
      }
    };
    const workers = Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 5; i += 1) await increment();
    });
    await Promise.all(workers);

    expect(JSON.parse(await text(key))).toEqual({ count: 30 });
    // The workers really raced: without conflicts the test would prove nothing.
    expect(conflicts).toBeGreaterThan(0);
  });
});

describe('CompleteMultipartUpload with conditions', () => {
  it('creates with If-None-Match: * and refuses an existing key with 412, keeping the upload', async () => {
    const key = freshKey();
    await complete(key, await startUpload(key, 'first'), { IfNoneMatch: '*' });
    const second = await startUpload(key, 'second');

    expect(await failure(complete(key, second, { IfNoneMatch: '*' }))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await text(key)).toBe('first');
    expect(await uploadIds(key)).toEqual([second.uploadId]);
    await local.s3.send(new AbortMultipartUploadCommand({ Bucket: local.bucket, Key: key, UploadId: second.uploadId }));
  });

  it('fails with 412 when another writer created the key during the upload', async () => {
    const key = freshKey();
    const upload = await startUpload(key, 'multipart');
    await put(key, 'single', { IfNoneMatch: '*' });

    expect(await failure(complete(key, upload, { IfNoneMatch: '*' }))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await text(key)).toBe('single');
    await local.s3.send(new AbortMultipartUploadCommand({ Bucket: local.bucket, Key: key, UploadId: upload.uploadId }));
  });

  it('answers 409 ConditionalRequestConflict (If-None-Match) and 404 (If-Match) after a delete during the upload', async () => {
    const key = freshKey();
    const old = await put(key, 'old');
    const creating = await startUpload(key, 'create');
    const replacing = await startUpload(key, 'replace');
    await local.s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key: key }));

    expect(await failure(complete(key, creating, { IfNoneMatch: '*' }))).toEqual({
      name: 'ConditionalRequestConflict',
      status: 409,
    });
    expect(await failure(complete(key, replacing, { IfMatch: old }))).toEqual({ name: 'NoSuchKey', status: 404 });
    // After a 409 the upload is gone and must be started again; the 404 leaves its upload to the caller.
    expect(await uploadIds(key)).toEqual([replacing.uploadId]);
    expect(await local.listKeys(key)).toEqual([]);
    await local.s3.send(new AbortMultipartUploadCommand({ Bucket: local.bucket, Key: key, UploadId: replacing.uploadId }));
  });

  it('replaces with a matching If-Match and refuses a stale one with 412', async () => {
    const key = freshKey();
    const first = await put(key, 'v1');
    const replaced = await complete(key, await startUpload(key, 'v2'), { IfMatch: first });
    const stale = await startUpload(key, 'v3');

    expect(replaced.ETag).toBeDefined();
    expect(await failure(complete(key, stale, { IfMatch: first }))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await text(key)).toBe('v2');
    await local.s3.send(new AbortMultipartUploadCommand({ Bucket: local.bucket, Key: key, UploadId: stale.uploadId }));
  });
});

describe('reads with If-Match', () => {
  it('serves GetObject and HeadObject when the ETag matches and answers 412 when it does not', async () => {
    const key = freshKey();
    const first = await put(key, 'v1');
    const second = await put(key, 'v2');

    const got = await local.s3.send(new GetObjectCommand({ Bucket: local.bucket, Key: key, IfMatch: second }));
    expect(await got.Body?.transformToString()).toBe('v2');
    expect((await local.s3.send(new HeadObjectCommand({ Bucket: local.bucket, Key: key, IfMatch: second }))).ETag).toBe(second);

    expect(await failure(local.s3.send(new GetObjectCommand({ Bucket: local.bucket, Key: key, IfMatch: first })))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect((await failure(local.s3.send(new HeadObjectCommand({ Bucket: local.bucket, Key: key, IfMatch: first })))).status).toBe(412);
  });
});

describe('DeleteObject with If-Match', () => {
  it('deletes on a matching ETag, refuses a stale one with 412 and a missing key with 404', async () => {
    const key = freshKey();
    const first = await put(key, 'v1');
    const second = await put(key, 'v2');

    expect(await failure(local.s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key: key, IfMatch: first })))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(await text(key)).toBe('v2');

    await local.s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key: key, IfMatch: second }));
    expect(await local.listKeys(key)).toEqual([]);
    expect(await failure(local.s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key: key, IfMatch: '*' })))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
  });

  it('keeps unconditional deletes of missing keys a success, as S3 does', async () => {
    await local.s3.send(new DeleteObjectCommand({ Bucket: local.bucket, Key: freshKey() }));
  });
});

describe('what is not emulated is refused, never silently ignored', () => {
  it('refuses a conditional CopyObject and DeleteObjects with ETags with 501 NotImplemented', async () => {
    const source = freshKey();
    const etag = await put(source, 'x');

    expect(
      await failure(
        local.s3.send(
          new CopyObjectCommand({ Bucket: local.bucket, Key: freshKey(), CopySource: `${local.bucket}/${source}`, IfNoneMatch: '*' }),
        ),
      ),
    ).toEqual({ name: 'NotImplemented', status: 501 });
    expect(
      await failure(
        local.s3.send(new DeleteObjectsCommand({ Bucket: local.bucket, Delete: { Objects: [{ Key: source, ETag: etag }] } })),
      ),
    ).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await text(source)).toBe('x');
  });

  it('still runs an unconditional DeleteObjects', async () => {
    const key = freshKey();
    await put(key, 'x');
    await local.s3.send(new DeleteObjectsCommand({ Bucket: local.bucket, Delete: { Objects: [{ Key: key }] } }));
    expect(await local.listKeys(key)).toEqual([]);
  });
});
