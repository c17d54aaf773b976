import { describe, expect, it } from 'vitest';
import { createManifest, parseManifest, serializeManifest } from '../../functions/lib/archive/manifest';
import type { ManifestInput } from '../../functions/lib/archive/manifest';
import { SCHEMA_VERSION } from '../../functions/lib/archive/schema';
import { ArchiveError } from '../../functions/lib/errors';

const SHA_A = 'a'.repeat(64);
const SHA_B = '0123456789abcdef'.repeat(4);
const PARTITION = 'kore-qa/contacts/stream_id=st-1/dt=2026-03-04/hour=05/';

function input(overrides: Partial<ManifestInput> = {}): ManifestInput {
  return {
    streamId: 'st-1',
    window: { start: new Date('2026-03-04T05:00:00Z'), end: new Date('2026-03-04T06:00:00Z') },
    partition: { dt: '2026-03-04', hour: '05' },
    runId: 'run-1',
    duplicatesDropped: 2,
    problems: 1,
    skipped: { repeated: 4, outsideWindow: 1 },
    apiTotalResults: 12,
    pagesFetched: 3,
    objects: [
      { key: `${PARTITION}part-00000.jsonl.gz`, records: 7, bytes: 1000, sha256: SHA_A },
      { key: `${PARTITION}part-00001.jsonl.gz`, records: 3, bytes: 400, sha256: SHA_B },
    ],
    startedAt: new Date('2026-03-04T06:05:00Z'),
    completedAt: new Date('2026-03-04T06:05:42.123Z'),
    ...overrides,
  };
}

function stored(overrides: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(serializeManifest(createManifest(input()))), ...overrides });
}

describe('createManifest', () => {
  it('derives the totals from the objects and records dates as ISO instants', () => {
    const manifest = createManifest(input());

    expect(manifest).toEqual({
      manifestVersion: 1,
      schemaVersion: SCHEMA_VERSION,
      streamId: 'st-1',
      window: { start: '2026-03-04T05:00:00.000Z', end: '2026-03-04T06:00:00.000Z' },
      partition: { dt: '2026-03-04', hour: '05' },
      runId: 'run-1',
      records: 10,
      duplicatesDropped: 2,
      problems: 1,
      skipped: { repeated: 4, outsideWindow: 1 },
      apiTotalResults: 12,
      pagesFetched: 3,
      bytes: 1400,
      objects: [
        { key: `${PARTITION}part-00000.jsonl.gz`, records: 7, bytes: 1000, sha256: SHA_A },
        { key: `${PARTITION}part-00001.jsonl.gz`, records: 3, bytes: 400, sha256: SHA_B },
      ],
      startedAt: '2026-03-04T06:05:00.000Z',
      completedAt: '2026-03-04T06:05:42.123Z',
    });
  });

  it('describes an empty hour as zero records, no objects and an unknown API total', () => {
    const manifest = createManifest(input({ objects: [], apiTotalResults: undefined, duplicatesDropped: 0 }));

    expect(manifest.records).toBe(0);
    expect(manifest.bytes).toBe(0);
    expect(manifest.objects).toEqual([]);
    expect(manifest.apiTotalResults).toBeNull();
  });

  it('refuses out-of-range numbers with an ArchiveError naming the field', () => {
    expect(() => createManifest(input({ problems: -1 }))).toThrow(ArchiveError);
    expect(() => createManifest(input({ problems: -1 }))).toThrow(/problems/);
    expect(() => createManifest(input({ pagesFetched: 1.5 }))).toThrow(/pagesFetched/);
  });

  it('refuses a window that does not move forward', () => {
    const start = new Date('2026-03-04T05:00:00Z');
    expect(() => createManifest(input({ window: { start, end: start } }))).toThrow(/window\.end/);
  });
});

describe('serializeManifest / parseManifest', () => {
  it('round-trips a manifest through its stored text', () => {
    const manifest = createManifest(input());
    const text = serializeManifest(manifest);

    expect(text.endsWith('\n')).toBe(true);
    expect(parseManifest(text, 's3://bucket/key')).toEqual(manifest);
  });

  it('refuses to serialize totals that disagree with the objects', () => {
    const manifest = { ...createManifest(input()), records: 11 };

    expect(() => serializeManifest(manifest)).toThrow(ArchiveError);
    expect(() => serializeManifest(manifest)).toThrow(/records is 11 but the objects hold 10/);
  });

  it('names the source when the text is not JSON', () => {
    expect(() => parseManifest('{"manifestVersion":', 's3://b/p/_manifest.json')).toThrow(
      's3://b/p/_manifest.json is not valid JSON',
    );
  });

  it('names the source and the offending field of an invalid manifest', () => {
    const badSha = stored({
      objects: [{ key: `${PARTITION}part-00000.jsonl.gz`, records: 10, bytes: 1400, sha256: 'XYZ' }],
    });
    expect(() => parseManifest(badSha, 'm.json')).toThrow(/^m\.json is not a valid manifest: objects\.0\.sha256/);

    expect(() => parseManifest(stored({ manifestVersion: 2 }), 'm.json')).toThrow(/manifestVersion/);
    expect(() => parseManifest(stored({ partition: { dt: '2026-3-4', hour: '05' } }), 'm.json')).toThrow(/partition\.dt/);
    expect(() => parseManifest(stored({ partition: { dt: '2026-03-04', hour: '24' } }), 'm.json')).toThrow(/partition\.hour/);
    expect(() => parseManifest(stored({ completedAt: 'yesterday' }), 'm.json')).toThrow(/completedAt/);
    expect(() => parseManifest(stored({ bytes: 1 }), 'm.json')).toThrow(/bytes is 1 but the objects hold 1400/);
  });

  it('rejects unknown keys, so a typo in a tool reading manifests cannot pass silently', () => {
    expect(() => parseManifest(stored({ record: 10 }), 'm.json')).toThrow(/m\.json is not a valid manifest/);
  });
});
