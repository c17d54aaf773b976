// s3rver 3 ships no TypeScript types; this declares only the surface tools/local-s3*.ts use.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  import type { IncomingMessage, Server } from 'node:http';

  namespace S3rver {
    interface BucketConfig {
      readonly name: string;
      readonly configs?: readonly (string | Buffer)[];
    }

    interface Options {
      readonly address?: string;
      readonly port?: number;
      readonly silent?: boolean;
      readonly directory?: string;
      readonly resetOnClose?: boolean;
      readonly allowMismatchedSignatures?: boolean;
      readonly vhostBuckets?: boolean;
      readonly configureBuckets?: readonly BucketConfig[];
    }

    /** The subset of a Koa context the local extensions touch. */
    interface Context {
      readonly method: string;
      readonly path: string;
      readonly query: Readonly<Record<string, string | readonly string[] | undefined>>;
      readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
      /** The request stream; replaceable, since s3rver's controllers read it from the context. */
      req: IncomingMessage | NodeJS.ReadableStream;
      status: number;
      body: unknown;
      type: string;
    }

    type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void> | void;

    /** An object as s3rver's store hands it around (`lib/models/object.js`). */
    interface StoredObject {
      readonly bucket: string;
      readonly key: string;
      readonly content: NodeJS.ReadableStream | Buffer | null;
      readonly metadata: Readonly<Record<string, string>>;
    }

    /** s3rver's on-disk store (`lib/stores/filesystem.js`): the methods the local extensions wrap. */
    interface FilesystemStore {
      getResourcePath(bucket: string, key: string | undefined, resource: string): string;
      /** Throws an ENOENT error when the object does not exist. `etag` is quoted. */
      getMetadata(bucket: string, key: string): Promise<Readonly<Record<string, string>>>;
      putMetadata(bucket: string, key: string, metadata: Readonly<Record<string, string>>, md5?: string): Promise<void>;
      putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
      getObject(bucket: string, key: string, options?: unknown): Promise<unknown>;
      existsObject(bucket: string, key: string): Promise<boolean>;
      deleteObject(bucket: string, key: string): Promise<void>;
      copyObject(
        srcBucket: string,
        srcKey: string,
        destBucket: string,
        destKey: string,
        replacementMetadata: unknown,
      ): Promise<Readonly<Record<string, string>>>;
    }
  }

  class S3rver {
    constructor(options?: S3rver.Options);
    /** Koa's middleware array; composed when the server starts listening. */
    readonly middleware: S3rver.Middleware[];
    readonly httpServer?: Server;
    readonly store: S3rver.FilesystemStore;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export = S3rver;
}
