/**
 * One runner per stream: a lease object `{prefix}/_leases/stream_id={id}.json` naming its owner (the
 * run id) and when it expires. Created with `If-None-Match: *`, renewed and released with `If-Match` on
 * its ETag, and taken over after expiry with `If-Match` on the stale version, so two runs can never
 * both believe they hold it. A run that finds the stream leased skips it: {@link Leases.acquire}
 * answers `{ acquired: false }` rather than throwing.
 *
 * Expiry is judged by the runners' clocks (Lambda's, or the CLI host's), so the duration must exceed
 * the longest stretch between renewals (one window) plus any clock skew.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { describeIssues } from '../validation';
import { ArchiveError } from '../errors';
import { isKeySafeId } from '../archive/layout';
import { LeaseLostError, LedgerCorruptError, PreconditionLostError } from './errors';
import { leaseKey } from './keys';
import { S3Objects, type ConditionalObjects, type StoredText } from './objects';

const instant = z.iso.datetime({ offset: false });
const StoredLeaseSchema = z.strictObject({
  leaseVersion: z.literal(1),
  streamId: z.string().check(z.minLength(1)),
  owner: z.string().check(z.minLength(1)),
  acquiredAt: instant,
  expiresAt: instant,
});

/** A held lease. Renew it while working (at least once per duration); release it at the end. */
export interface Lease {
  readonly streamId: string;
  readonly owner: string;
  /** When the lease lapses unless renewed. */
  readonly expiresAt: Date;
  /** Extends the lease by the duration from now. Throws {@link LeaseLostError} when another run took it over. */
  renew(): Promise<void>;
  /** Gives the stream back. True when released, false when it had already been taken over (nothing to do). */
  release(): Promise<boolean>;
}

/** The outcome of {@link Leases.acquire}: the lease, or who holds the stream and until when. */
export type AcquireResult =
  | { readonly acquired: true; readonly lease: Lease; readonly tookOverFrom?: string }
  | { readonly acquired: false; readonly heldBy: string; readonly expiresAt: Date };

/** Options of {@link Leases}. */
export interface LeasesOptions {
  readonly objects: ConditionalObjects;
  readonly prefix: string;
  /** How long a lease lasts without renewal. */
  readonly durationMs: number;
  readonly now?: () => Date;
}

interface StoredLease {
  readonly owner: string;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

/** Leases on the streams of one archive. */
export class Leases {
  readonly #objects: ConditionalObjects;
  readonly #prefix: string;
  readonly #durationMs: number;
  readonly #now: () => Date;

  constructor(o: LeasesOptions) {
    if (!(o.durationMs > 0)) throw new ArchiveError('lease: durationMs must be positive');
    this.#objects = o.objects;
    this.#prefix = o.prefix;
    this.#durationMs = o.durationMs;
    this.#now = o.now ?? (() => new Date());
  }

  /**
   * Takes the stream's lease for `owner` (a run id): creates it, takes over an expired one, or re-takes
   * one `owner` already holds (a retried invocation of the same run). Otherwise answers who holds it.
   */
  async acquire(streamId: string, owner: string): Promise<AcquireResult> {
    if (!isKeySafeId(streamId)) throw new ArchiveError('lease: streamId may contain only letters, digits, ".", "_" and "-"');
    const key = leaseKey(this.#prefix, streamId);
    // Each loss of a race means another run just wrote the lease: read again, at most a few times.
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const stored = await this.#objects.get(key);
      const current = stored === undefined ? undefined : this.#parse(stored, key, streamId);
      const now = this.#now();
      if (current !== undefined && current.owner !== owner && current.expiresAt.getTime() > now.getTime()) {
        return { acquired: false, heldBy: current.owner, expiresAt: current.expiresAt };
      }
      const acquiredAt = current?.owner === owner ? current.acquiredAt : now;
      const expiresAt = new Date(now.getTime() + this.#durationMs);
      try {
        const etag = await this.#objects.put(
          key,
          this.#serialize(streamId, { owner, acquiredAt, expiresAt }),
          stored === undefined ? { ifNoneMatch: '*' } : { ifMatch: stored.etag },
        );
        const lease = new HeldLease(this, streamId, owner, acquiredAt, expiresAt, etag);
        return current !== undefined && current.owner !== owner ? { acquired: true, lease, tookOverFrom: current.owner } : { acquired: true, lease };
      } catch (error) {
        if (!(error instanceof PreconditionLostError)) throw error;
      }
    }
    const latest = await this.#objects.get(key);
    const holder = latest === undefined ? undefined : this.#parse(latest, key, streamId);
    return { acquired: false, heldBy: holder?.owner ?? 'unknown', expiresAt: holder?.expiresAt ?? this.#now() };
  }

  /** Writes a renewal over the version `etag`; returns the new ETag and expiry. Internal to {@link Lease}. */
  async renewHeld(lease: { streamId: string; owner: string; acquiredAt: Date; etag: string }): Promise<{ etag: string; expiresAt: Date }> {
    const key = leaseKey(this.#prefix, lease.streamId);
    const expiresAt = new Date(this.#now().getTime() + this.#durationMs);
    try {
      const etag = await this.#objects.put(key, this.#serialize(lease.streamId, { owner: lease.owner, acquiredAt: lease.acquiredAt, expiresAt }), { ifMatch: lease.etag });
      return { etag, expiresAt };
    } catch (error) {
      if (error instanceof PreconditionLostError) {
        throw new LeaseLostError(`the lease on stream ${lease.streamId} (${this.#objects.where(key)}) was taken over by another run`, { cause: error });
      }
      throw error;
    }
  }

  /** Deletes the lease if it is still the version `etag`. Internal to {@link Lease}. */
  async releaseHeld(lease: { streamId: string; etag: string }): Promise<boolean> {
    try {
      await this.#objects.delete(leaseKey(this.#prefix, lease.streamId), lease.etag);
      return true;
    } catch (error) {
      if (error instanceof PreconditionLostError) return false;
      throw error;
    }
  }

  #parse(stored: StoredText, key: string, streamId: string): StoredLease {
    const where = this.#objects.where(key);
    let json: unknown;
    try {
      json = JSON.parse(stored.text);
    } catch (error) {
      throw new LedgerCorruptError(`lease ${where} is corrupt: not valid JSON (delete it to free the stream)`, { cause: error });
    }
    const parsed = StoredLeaseSchema.safeParse(json);
    if (!parsed.success || parsed.data.streamId !== streamId) {
      const problem = parsed.success ? `it belongs to stream ${parsed.data.streamId}` : describeIssues(parsed.error);
      throw new LedgerCorruptError(`lease ${where} is corrupt: ${problem} (delete it to free the stream)`);
    }
    return { owner: parsed.data.owner, acquiredAt: new Date(parsed.data.acquiredAt), expiresAt: new Date(parsed.data.expiresAt) };
  }

  #serialize(streamId: string, lease: StoredLease): string {
    const document: z.input<typeof StoredLeaseSchema> = {
      leaseVersion: 1,
      streamId,
      owner: lease.owner,
      acquiredAt: lease.acquiredAt.toISOString(),
      expiresAt: lease.expiresAt.toISOString(),
    };
    return `${JSON.stringify(document, null, 2)}\n`;
  }
}

class HeldLease implements Lease {
  #etag: string;
  #expiresAt: Date;

  constructor(
    readonly leases: Leases,
    readonly streamId: string,
    readonly owner: string,
    readonly acquiredAt: Date,
    expiresAt: Date,
    etag: string,
  ) {
    this.#etag = etag;
    this.#expiresAt = expiresAt;
  }

  get expiresAt(): Date {
    return this.#expiresAt;
  }

  async renew(): Promise<void> {
    const renewed = await this.leases.renewHeld({ streamId: this.streamId, owner: this.owner, acquiredAt: this.acquiredAt, etag: this.#etag });
    this.#etag = renewed.etag;
    this.#expiresAt = renewed.expiresAt;
  }

  release(): Promise<boolean> {
    return this.leases.releaseHeld({ streamId: this.streamId, etag: this.#etag });
  }
}

/** The leases of an archive bucket. */
export function s3Leases(o: { readonly s3: S3Client; readonly bucket: string; readonly prefix: string; readonly durationMs: number }): Leases {
  return new Leases({ objects: new S3Objects({ s3: o.s3, bucket: o.bucket }), prefix: o.prefix, durationMs: o.durationMs });
}
