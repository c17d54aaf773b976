// s3rver 3 ships no TypeScript types; this declares only the surface tools/local-s3.ts uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  import type { Server } from 'node:http';

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
      status: number;
      body: unknown;
      type: string;
    }

    type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void> | void;
  }

  class S3rver {
    constructor(options?: S3rver.Options);
    /** Koa's middleware array; composed when the server starts listening. */
    readonly middleware: S3rver.Middleware[];
    readonly httpServer?: Server;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export = S3rver;
}
