/**
 * Reads committed manifests of neighbouring hours, so a window can check the boundary second it shares with
 * them (see the manifest's `fetch.edge`). Each read lists the key first: under the stack's prefix-conditioned
 * ListBucket grant, S3 answers a GET of a missing key with 403, not 404.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { listKeys } from '../aws/s3-client';
import { ArchiveError } from '../errors';
import { manifestKey } from './layout';
import { parseManifest, type Manifest } from './manifest';

/** Where committed manifests are read from. */
export interface ManifestReader {
  /** The manifest of one stream-hour, or undefined when the hour has none (never archived, or an older layout). */
  read(streamId: string, hour: Date): Promise<Manifest | undefined>;
}

/** A {@link ManifestReader} over the archive bucket. */
export class S3ManifestReader implements ManifestReader {
  constructor(private readonly o: { readonly s3: S3Client; readonly bucket: string; readonly prefix: string }) {}

  async read(streamId: string, hour: Date): Promise<Manifest | undefined> {
    const key = manifestKey(this.o.prefix, streamId, hour);
    const where = `s3://${this.o.bucket}/${key}`;
    try {
      if (!(await listKeys(this.o.s3, this.o.bucket, key)).includes(key)) return undefined;
      const response = await this.o.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key }));
      const text = (await response.Body?.transformToString('utf-8')) ?? '';
      // A version 1 manifest (older layout) has no boundary information: treated like no manifest.
      if ((JSON.parse(text) as { manifestVersion?: unknown }).manifestVersion === 1) return undefined;
      return parseManifest(text, where);
    } catch (error) {
      if (error instanceof ArchiveError) throw error;
      throw new ArchiveError(`could not read ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
