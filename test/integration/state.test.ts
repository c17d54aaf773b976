/** The S3 state store against s3rver over real HTTP with the real AWS SDK; the memory store alongside. */
import { PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateKey } from '../../functions/lib/archive/layout';
import { MemoryStateStore, S3StateStore } from '../../functions/lib/archive/state';
import type { StreamState } from '../../functions/lib/archive/state';
import { ArchiveError } from '../../functions/lib/errors';
import { startLocalS3 } from '../../tools/local-s3';
import type { LocalS3 } from '../../tools/local-s3';

const STATE: StreamState = {
  streamId: 'st-1',
  lastArchivedHour: new Date('2026-03-04T05:00:00Z'),
  updatedAt: new Date('2026-03-04T06:01:02.345Z'),
  runId: 'run-1',
};

/**
 * Makes `client` answer GetObject like real S3 does for a role whose s3:ListBucket is conditioned on
 * s3:prefix: 403 AccessDenied instead of 404 NoSuchKey for a missing key. Keys in `deny` get the same
 * 403 although they exist (e.g. no s3:GetObject on them, or a KMS key the role may not use). Records
 * every command sent, with its input.
 */
function answer403ForMissingKeys(client: S3Client, deny: ReadonlySet<string> = new Set()): { command: string; input: Record<string, unknown> }[] {
  const sent: { command: string; input: Record<string, unknown> }[] = [];
  const accessDenied = () =>
    new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      sent.push({ command: context.commandName ?? '', input });
      if (context.commandName !== 'GetObjectCommand') return next(args);
      if (deny.has(String(input.Key))) throw accessDenied();
      try {
        return await next(args);
      } catch (error) {
        if ((error as { name?: unknown }).name === 'NoSuchKey') throw accessDenied();
        throw error;
      }
    },
    { step: 'initialize', name: 'test403ForMissingKeys', priority: 'high' },
  );
  return sent;
}

describe('S3StateStore', () => {
  let local: LocalS3;
  let store: S3StateStore;

  beforeAll(async () => {
    local = await startLocalS3();
    store = new S3StateStore({ s3: local.s3, bucket: local.bucket, prefix: 'kore-qa' });
  });

  afterAll(async () => {
    await local?.close();
  });

  async function putRaw(streamId: string, body: string): Promise<string> {
    const key = stateKey('kore-qa', streamId);
    await local.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: key, Body: body }));
    return key;
  }

  it('answers undefined for a stream that was never archived', async () => {
    expect(await store.get('never-seen')).toBeUndefined();
  });

  it('round-trips a state through a readable JSON object at the layout key', async () => {
    await store.put(STATE);

    expect(await store.get('st-1')).toEqual(STATE);
    const stored = JSON.parse((await local.getObject('kore-qa/_state/stream_id=st-1.json')).toString('utf8')) as unknown;
    expect(stored).toEqual({
      stateVersion: 1,
      streamId: 'st-1',
      lastArchivedHour: '2026-03-04T05:00:00.000Z',
      updatedAt: '2026-03-04T06:01:02.345Z',
      runId: 'run-1',
    });
  });

  it('keeps only the latest state of a stream, and streams apart', async () => {
    const later = { ...STATE, streamId: 'st-2', lastArchivedHour: new Date('2026-03-04T07:00:00Z'), runId: 'run-3' };
    await store.put({ ...STATE, streamId: 'st-2', runId: 'run-2' });
    await store.put(later);

    expect(await store.get('st-2')).toEqual(later);
    expect((await store.get('st-1'))?.runId).toBe('run-1');
  });

  it('reports a state object that is not JSON as corrupt, naming the key', async () => {
    const key = await putRaw('broken-json', '{"stateVersion":1,');

    const failure = await store.get('broken-json').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ArchiveError);
    expect((failure as Error).message).toBe(`stream state s3://${local.bucket}/${key} is corrupt: not valid JSON`);
  });

  it('reports a state object with an invalid field as corrupt, naming the key and the field', async () => {
    const key = await putRaw(
      'half-hour',
      JSON.stringify({
        stateVersion: 1,
        streamId: 'half-hour',
        lastArchivedHour: '2026-03-04T05:30:00.000Z',
        updatedAt: '2026-03-04T06:00:00.000Z',
        runId: 'r',
      }),
    );

    await expect(store.get('half-hour')).rejects.toThrow(
      `stream state s3://${local.bucket}/${key} is corrupt: lastArchivedHour must be a whole UTC hour`,
    );
    await putRaw('no-run', JSON.stringify({ stateVersion: 1, streamId: 'no-run', lastArchivedHour: '2026-03-04T05:00:00Z', updatedAt: '2026-03-04T06:00:00Z' }));
    await expect(store.get('no-run')).rejects.toThrow(/stream_id=no-run\.json is corrupt: runId/);
  });

  it('reports a state object that belongs to another stream as corrupt', async () => {
    await putRaw('copied', JSON.stringify({ stateVersion: 1, streamId: 'st-1', lastArchivedHour: '2026-03-04T05:00:00Z', updatedAt: '2026-03-04T06:00:00Z', runId: 'r' }));

    await expect(store.get('copied')).rejects.toThrow(/stream_id=copied\.json is corrupt: it belongs to stream st-1/);
  });

  it('fails loudly, not as "never archived", when the bucket is wrong', async () => {
    const wrong = new S3StateStore({ s3: local.s3, bucket: 'no-such-bucket', prefix: 'kore-qa' });

    const failure = await wrong.get('st-1').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ArchiveError);
    expect((failure as Error).message).toMatch(/^could not read stream state s3:\/\/no-such-bucket\/kore-qa\/_state\/stream_id=st-1\.json: /);
  });

  describe('when S3 answers 403 AccessDenied for a missing key (s3:ListBucket conditioned on s3:prefix)', () => {
    it('checks with a listing that the key is absent and answers undefined', async () => {
      const client = local.createClient();
      const sent = answer403ForMissingKeys(client);
      // A key that merely starts with the state key does not count as the state.
      await local.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: `${stateKey('kore-qa', 'look')}.bak`, Body: '{}' }));
      const denied = new S3StateStore({ s3: client, bucket: local.bucket, prefix: 'kore-qa' });

      expect(await denied.get('first-run')).toBeUndefined();
      expect(await denied.get('look')).toBeUndefined();
      expect(sent.slice(0, 2)).toEqual([
        { command: 'GetObjectCommand', input: { Bucket: local.bucket, Key: stateKey('kore-qa', 'first-run') } },
        { command: 'ListObjectsV2Command', input: { Bucket: local.bucket, Prefix: stateKey('kore-qa', 'first-run'), MaxKeys: 1 } },
      ]);
      // The store still reads an existing state through the same client.
      await store.put({ ...STATE, streamId: 'readable' });
      expect(await denied.get('readable')).toEqual({ ...STATE, streamId: 'readable' });
    });

    it('fails loudly, not as "never archived", when the denied key exists', async () => {
      const client = local.createClient();
      const key = stateKey('kore-qa', 'forbidden');
      await store.put({ ...STATE, streamId: 'forbidden' });
      const sent = answer403ForMissingKeys(client, new Set([key]));
      const denied = new S3StateStore({ s3: client, bucket: local.bucket, prefix: 'kore-qa' });

      const failure = await denied.get('forbidden').catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ArchiveError);
      expect((failure as Error).message).toBe(`could not read stream state s3://${local.bucket}/${key}: Access Denied`);
      expect((failure as Error).cause).toBeInstanceOf(S3ServiceException);
      expect(((failure as Error).cause as S3ServiceException).name).toBe('AccessDenied');
      expect(sent.map((c) => c.command)).toEqual(['GetObjectCommand', 'ListObjectsV2Command']);
    });

    it('fails loudly when the listing is refused too', async () => {
      const client = local.createClient();
      answer403ForMissingKeys(client);
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'ListObjectsV2Command') {
            throw new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' });
          }
          return next(args);
        },
        { step: 'initialize', name: 'testDenyList' },
      );
      const denied = new S3StateStore({ s3: client, bucket: local.bucket, prefix: 'kore-qa' });

      await expect(denied.get('no-list')).rejects.toThrow(/^could not read stream state s3:\/\/.+\/kore-qa\/_state\/stream_id=no-list\.json: Access Denied$/);
    });
  });

  it('refuses to store an hour that is not whole, or a stream id unsafe for a key', async () => {
    await expect(store.put({ ...STATE, streamId: 'odd', lastArchivedHour: new Date('2026-03-04T05:00:01Z') })).rejects.toThrow(
      /lastArchivedHour must be a whole UTC hour/,
    );
    await expect(store.put({ ...STATE, streamId: '../escape' })).rejects.toThrow(/streamId may contain only/);
    expect(await local.listKeys('kore-qa/_state/stream_id=odd')).toEqual([]);
  });
});

describe('MemoryStateStore', () => {
  it('round-trips states and starts from the ones it is given', async () => {
    const store = new MemoryStateStore([STATE]);
    const other = { ...STATE, streamId: 'st-9', runId: 'run-9' };

    await store.put(other);

    expect(await store.get('st-1')).toEqual(STATE);
    expect(await store.get('st-9')).toEqual(other);
    expect(await store.get('st-0')).toBeUndefined();
  });

  it('keeps copies, so callers mutating dates cannot change what is stored', async () => {
    const state = { ...STATE, lastArchivedHour: new Date('2026-03-04T05:00:00Z') };
    const store = new MemoryStateStore();
    await store.put(state);

    state.lastArchivedHour.setUTCHours(9);
    (await store.get('st-1'))?.lastArchivedHour.setUTCHours(11);

    expect((await store.get('st-1'))?.lastArchivedHour).toEqual(new Date('2026-03-04T05:00:00Z'));
  });

  it('validates like the S3 store', async () => {
    await expect(new MemoryStateStore().put({ ...STATE, lastArchivedHour: new Date(Number.NaN) })).rejects.toThrow(ArchiveError);
  });
});
