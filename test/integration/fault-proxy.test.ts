/**
 * The S3 fault proxy over real HTTP, with the real SDK and s3rver: it names every operation, and its rules
 * pass, fail (before or after S3 applied the request) or kill a request per operation and count, including
 * SIGKILLing a child process at exactly one S3 request.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createS3Client } from '../../functions/lib/aws/s3-client';
import { classifyS3Request, startFaultProxy, type FaultProxy } from '../../tools/fault-proxy';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../../tools/local-s3';

let s3: LocalS3;
let proxy: FaultProxy;
let client: S3Client;
let Bucket: string;

beforeEach(async () => {
  s3 = await startLocalS3({ bucket: 'proxy-test' });
  proxy = await startFaultProxy(s3.endpoint);
  client = createS3Client({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
  Bucket = s3.bucket;
});
afterEach(async () => {
  client.destroy();
  proxy.releaseHeld();
  await proxy.close();
  await s3.close();
});

async function multipart(key: string, body: string): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: key }));
  const part = await client.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: 1, Body: body }));
  await client.send(
    new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] } }),
  );
}

describe('classification', () => {
  it('names every operation the archive uses, as the SDK sends it', async () => {
    await client.send(new PutObjectCommand({ Bucket, Key: 'x/a b.json', Body: '{}' }));
    await client.send(new HeadObjectCommand({ Bucket, Key: 'x/a b.json' }));
    await (await client.send(new GetObjectCommand({ Bucket, Key: 'x/a b.json' }))).Body?.transformToString();
    await client.send(new CopyObjectCommand({ Bucket, Key: 'x/copy.json', CopySource: `${Bucket}/x/a%20b.json` }));
    await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'x/' }));
    await multipart('x/mp.json', 'part');
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'x/aborted.json' }));
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'x/aborted.json', UploadId }));
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'x/a b.json' }));
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'x/copy.json' }));
    // One key only: s3rver's file store can race (500) removing two keys of one folder in a single DeleteObjects.
    await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'x/mp.json' }] } }));

    expect(proxy.log.map((e) => e.operation)).toEqual([
      'PutObject',
      'HeadObject',
      'GetObject',
      'CopyObject',
      'ListObjectsV2',
      'CreateMultipartUpload',
      'UploadPart',
      'CompleteMultipartUpload',
      'CreateMultipartUpload',
      'AbortMultipartUpload',
      'DeleteObject',
      'DeleteObject',
      'DeleteObjects',
    ]);
    expect(proxy.log[0]).toMatchObject({ bucket: Bucket, key: 'x/a b.json', seq: 1, opSeq: 1, action: 'pass', status: 200 });
    expect(proxy.log.every((e) => e.status !== undefined && e.status < 300)).toBe(true);
    expect(proxy.log[8]).toMatchObject({ operation: 'CreateMultipartUpload', opSeq: 2 });
    expect(proxy.count('CreateMultipartUpload')).toBe(2);
    expect(proxy.count()).toBe(13);
    expect(await s3.listKeys('x/')).toEqual([]);
  });

  it('tells bucket-level requests and sub-resources apart', () => {
    expect(classifyS3Request('GET', '/b?list-type=2&prefix=p').operation).toBe('ListObjectsV2');
    expect(classifyS3Request('GET', '/b?prefix=p').operation).toBe('ListObjects');
    expect(classifyS3Request('GET', '/b?uploads').operation).toBe('ListMultipartUploads');
    expect(classifyS3Request('GET', '/b/k?uploadId=1').operation).toBe('ListParts');
    expect(classifyS3Request('PUT', '/b/k?partNumber=1&uploadId=1', { 'x-amz-copy-source': 'b/o' }).operation).toBe('UploadPartCopy');
    expect(classifyS3Request('PUT', '/b/k?tagging').operation).toBe('Other');
    expect(classifyS3Request('HEAD', '/b').operation).toBe('HeadBucket');
  });
});

describe('rules per operation and count', () => {
  it('fail on the n-th request of an operation only: the SDK retry then succeeds', async () => {
    proxy.addRule({ operation: 'UploadPart', nth: 1, action: 'fail' });
    await multipart('r/one.json', 'data');
    expect(proxy.log.filter((e) => e.operation === 'UploadPart').map((e) => e.action)).toEqual(['fail', 'pass']);
    expect(proxy.failed).toHaveLength(1);
    expect((await s3.getObject('r/one.json')).toString()).toBe('data');
  });

  it('fail with a chosen status and code on every request of an operation', async () => {
    proxy.addRule({ operation: 'PutObject', action: 'fail', status: 503, code: 'SlowDown' });
    await expect(client.send(new PutObjectCommand({ Bucket, Key: 'r/two.json', Body: '{}' }))).rejects.toMatchObject({ name: 'SlowDown' });
    expect(proxy.count('PutObject')).toBeGreaterThan(1);
    expect(await s3.listKeys('r/')).toEqual([]);
    proxy.clear();
    await client.send(new PutObjectCommand({ Bucket, Key: 'r/two.json', Body: '{}' }));
    expect(await s3.listKeys('r/')).toEqual(['r/two.json']);
  });

  it('failAfter: S3 applies the request, the client sees an error (an ambiguous outcome)', async () => {
    proxy.addRule({ operation: 'CompleteMultipartUpload', nth: 1, action: 'failAfter' });
    await expect(multipart('r/three.json', 'done')).rejects.toThrow();
    expect((await s3.getObject('r/three.json')).toString()).toBe('done');
  });

  it('kill: holds the request unforwarded and calls back; the test decides what dies', async () => {
    const killed: string[] = [];
    proxy.onKill((req) => killed.push(`${req.operation} ${req.key}`));
    proxy.addRule({ operation: 'PutObject', nth: 2, action: 'kill' });
    await client.send(new PutObjectCommand({ Bucket, Key: 'k/1.json', Body: '1' }));
    const abort = new AbortController();
    const hit = proxy.nextKill();
    const second = client.send(new PutObjectCommand({ Bucket, Key: 'k/2.json', Body: '2' }), { abortSignal: abort.signal });
    expect(await hit).toMatchObject({ operation: 'PutObject', key: 'k/2.json', opSeq: 2 });
    expect(killed).toEqual(['PutObject k/2.json']);
    abort.abort();
    await expect(second).rejects.toThrow();
    expect(await s3.listKeys('k/')).toEqual(['k/1.json']);
  });
});

describe('killing a child process at one S3 request', () => {
  const CHILD = join(import.meta.dirname, '../support/s3-steps-child.ts');

  /** Runs the child's request sequence, SIGKILLing it when `proxy` kills a request; resolves with how it ended. */
  async function runChild(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, S3_ENDPOINT: proxy.endpoint, S3_BUCKET: Bucket, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proxy.onKill(() => child.kill('SIGKILL'));
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    // A child that failed on its own shows why in the assertion message, not on the console.
    expect(code === 0 || signal === 'SIGKILL', stderr).toBe(true);
    return { code, signal };
  }

  it('without rules, the child sends five requests and every object lands', async () => {
    expect(await runChild()).toEqual({ code: 0, signal: null });
    expect(proxy.log.map((e) => e.operation)).toEqual(['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'PutObject']);
    expect(await s3.listKeys('steps/')).toEqual(['steps/a.txt', 'steps/b.txt', 'steps/c.txt']);
  });

  it('kill at CompleteMultipartUpload: the process dies before S3 sees it, the object never appears', async () => {
    proxy.addRule({ operation: 'CompleteMultipartUpload', action: 'kill' });
    expect(await runChild()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(proxy.log.at(-1)).toMatchObject({ operation: 'CompleteMultipartUpload', action: 'kill' });
    expect(await s3.listKeys('steps/')).toEqual(['steps/a.txt']);
  });

  it('killAfter at CompleteMultipartUpload: S3 completes the upload, the process dies before it hears so', async () => {
    proxy.addRule({ operation: 'CompleteMultipartUpload', action: 'killAfter' });
    expect(await runChild()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await s3.listKeys('steps/')).toEqual(['steps/a.txt', 'steps/b.txt']);
  });
});
