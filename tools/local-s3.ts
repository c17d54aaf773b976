// tools/ is outside tsconfig "include", so the ambient s3rver types must be pulled in by reference.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./s3rver.d.ts" />
/**
 * A local S3 for tests, the bench and the demo: s3rver on 127.0.0.1 with a fresh directory, and an S3
 * client configured exactly like the function's (see `createS3Client`) with fake credentials, so no
 * AWS account or credentials are ever involved.
 *
 * s3rver 3 lacks two operations the archive writer relies on, AbortMultipartUpload and
 * ListMultipartUploads; they are added here on top of s3rver's own on-disk upload store so tests can
 * prove that a failed upload leaves no multipart upload behind. It also ignores conditional requests
 * (`If-Match`, `If-None-Match`), which are enforced as AWS documents them by `./local-s3-conditional`.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { createS3Client, listKeys } from '../functions/lib/aws/s3-client';
import { conditionalRequests, s3Error, xml } from './local-s3-conditional';

/** Credentials s3rver accepts by default. Not secret: they only open the local emulator. */
export const LOCAL_S3_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** A running local S3. */
export interface LocalS3 {
  /** `http://127.0.0.1:PORT`; use it as `AWS_ENDPOINT_URL_S3` for code under test. */
  readonly endpoint: string;
  readonly bucket: string;
  /** A client of {@link endpoint}, configured like the function's. */
  readonly s3: S3Client;
  /** Where s3rver keeps the objects on disk. */
  readonly directory: string;
  /** Every key in {@link bucket} under `prefix` (default: all), sorted. */
  listKeys(prefix?: string): Promise<string[]>;
  /** The bytes of one object; throws if it does not exist. */
  getObject(key: string): Promise<Buffer>;
  /** A new client of this endpoint, e.g. to add a failure-injecting middleware without touching {@link s3}. */
  createClient(): S3Client;
  /** Stops the server, destroys the clients it created and removes the directory if it was a temporary one. */
  close(): Promise<void>;
}

/** Options of {@link startLocalS3}. */
export interface LocalS3Options {
  /** Bucket created at start. Default `kore-qa-archive-local`. */
  readonly bucket?: string;
  /** Where objects are kept. Default: a fresh temporary directory, removed on close. */
  readonly directory?: string;
  /** Port on 127.0.0.1. Default 0 (any free port). */
  readonly port?: number;
}

/** Starts s3rver on 127.0.0.1 with one bucket. */
export async function startLocalS3(opts: LocalS3Options = {}): Promise<LocalS3> {
  const bucket = opts.bucket ?? 'kore-qa-archive-local';
  const ownsDirectory = opts.directory === undefined;
  const directory = opts.directory ?? (await mkdtemp(join(tmpdir(), 'kore-qa-s3-')));

  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port ?? 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  // Koa composes its middleware array when it starts listening, so these run ahead of s3rver's router.
  server.middleware.unshift(
    conditionalRequests(server, (name) => uploadsDirectory(directory, name)),
    multipartExtensions(directory),
  );

  let address;
  try {
    address = await server.run();
  } catch (error) {
    if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  const createClient = (): S3Client => {
    const client = createS3Client({ endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
    clients.push(client);
    return client;
  };
  const s3 = createClient();
  let closed = false;

  return {
    endpoint,
    bucket,
    s3,
    directory,
    async listKeys(prefix = '') {
      return (await listKeys(s3, bucket, prefix)).sort();
    },
    async getObject(key) {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (response.Body === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
      return Buffer.from(await response.Body.transformToByteArray());
    },
    createClient,
    async close() {
      if (closed) return;
      closed = true;
      for (const client of clients) client.destroy();
      server.httpServer?.closeAllConnections();
      await server.close();
      if (ownsDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Where s3rver's filesystem store keeps in-progress multipart uploads of a bucket. */
function uploadsDirectory(directory: string, bucket: string): string {
  return join(directory, bucket, '._S3rver_uploads');
}

/** s3rver's upload ids are hex; anything else must never reach a filesystem path. */
const UPLOAD_ID = /^[0-9a-f]{1,64}$/;

/** AbortMultipartUpload (`DELETE /bucket/key?uploadId=`) and ListMultipartUploads (`GET /bucket?uploads`). */
function multipartExtensions(directory: string): S3rver.Middleware {
  return async (ctx, next) => {
    const segments = ctx.path.split('/').slice(1).map(decodeURIComponent);
    const [bucket, ...keyParts] = segments;
    const key = keyParts.join('/');
    if (bucket === undefined || bucket === '') return next();

    if (ctx.method === 'DELETE' && key !== '' && typeof ctx.query.uploadId === 'string') {
      const uploadId = ctx.query.uploadId;
      const dir = join(uploadsDirectory(directory, bucket), uploadId);
      const storedKey = UPLOAD_ID.test(uploadId) ? await readFile(join(dir, 'key'), 'utf8').catch(() => undefined) : undefined;
      if (storedKey !== key) {
        s3Error(ctx, 404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
        return;
      }
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }

    if (ctx.method === 'GET' && key === '' && 'uploads' in ctx.query) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const root = uploadsDirectory(directory, bucket);
      const ids = await readdir(root).catch(() => [] as string[]);
      const uploads: { key: string; id: string; initiated: Date }[] = [];
      for (const id of ids) {
        const uploadKey = await readFile(join(root, id, 'key'), 'utf8').catch(() => undefined);
        if (uploadKey === undefined || !uploadKey.startsWith(prefix)) continue;
        uploads.push({ key: uploadKey, id, initiated: (await stat(join(root, id))).birthtime });
      }
      uploads.sort((a, b) => (a.key === b.key ? a.id.localeCompare(b.id) : a.key < b.key ? -1 : 1));
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>${xml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
        `<Prefix>${xml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
        uploads
          .map(
            (u) =>
              `<Upload><Key>${xml(u.key)}</Key><UploadId>${u.id}</UploadId>` +
              `<Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
          )
          .join('') +
        '</ListMultipartUploadsResult>';
      return;
    }

    return next();
  };
}
