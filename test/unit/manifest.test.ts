import { describe, expect, it } from 'vitest';
import { countersOf, createManifest, parseManifest, serializeManifest } from '../../functions/lib/archive/manifest';
import type { ManifestInput } from '../../functions/lib/archive/manifest';
import { SCHEMA_VERSION } from '../../functions/lib/archive/schema';
import { ArchiveError } from '../../functions/lib/errors';

const SHA_A = 'a'.repeat(64);
const PARTITION = 'kore-qa/contacts/stream_id=st-1/dt=2026-03-04/hour=05/';
const OBJECT = { key: `${PARTITION}part-00000.jsonl.gz`, etag: '"abc"', versionId: null, records: 10, bytes: 1400, sha256: SHA_A };
const FETCH = {
  method: 'pages' as const,
  requests: 3,
  apiTotalResults: 12,
  signs: [],
  skipped: { repeated: 4, nextWindow: 1 },
  unexpectedOutsideWindow: 0,
  problems: 1,
  edge: { firstSecond: ['c-1'], nextHour: [{ conversationId: 'c-9', raw: '{"Conversation ID":"c-9"}' }], recovered: 0, keptHere: 0 },
};

function input(overrides: Partial<ManifestInput> = {}): ManifestInput {
  return {
    streamId: 'st-1',
    window: { start: new Date('2026-03-04T05:00:00Z'), end: new Date('2026-03-04T06:00:00Z') },
    partition: { dt: '2026-03-04', hour: '05' },
    runId: 'run-1',
    object: OBJECT,
    archiveCount: 2,
    reprocessCount: 0,
    drift: { unknownKeys: { 'agents[].Agent Key': 3 }, typeMisfits: {} },
    changes: { added: 2, updated: 3, unchanged: 4, retained: 1, removed: 0 },
    duplicatesDropped: 2,
    fetch: FETCH,
    startedAt: new Date('2026-03-04T06:05:00Z'),
    completedAt: new Date('2026-03-04T06:05:42.123Z'),
    ...overrides,
  };
}

function stored(overrides: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(serializeManifest(createManifest(input()))), ...overrides });
}

describe('createManifest', () => {
  it('takes the record count from the data object and records dates as ISO instants', () => {
    expect(createManifest(input())).toEqual({
      manifestVersion: 2,
      schemaVersion: SCHEMA_VERSION,
      streamId: 'st-1',
      window: { start: '2026-03-04T05:00:00.000Z', end: '2026-03-04T06:00:00.000Z' },
      partition: { dt: '2026-03-04', hour: '05' },
      runId: 'run-1',
      records: 10,
      object: OBJECT,
      archiveCount: 2,
      reprocessCount: 0,
      drift: { unknownKeys: { 'agents[].Agent Key': 3 }, typeMisfits: {} },
      changes: { added: 2, updated: 3, unchanged: 4, retained: 1, removed: 0 },
      duplicatesDropped: 2,
      fetch: FETCH,
      startedAt: '2026-03-04T06:05:00.000Z',
      completedAt: '2026-03-04T06:05:42.123Z',
    });
  });

  it('describes an empty hour as zero records and no object, and a version made without the API as fetch null', () => {
    const manifest = createManifest(input({ object: null, fetch: null }));
    expect(manifest.records).toBe(0);
    expect(manifest.object).toBeNull();
    expect(manifest.fetch).toBeNull();
  });

  it('refuses out-of-range numbers with an ArchiveError naming the field', () => {
    expect(() => createManifest(input({ duplicatesDropped: -1 }))).toThrow(ArchiveError);
    expect(() => createManifest(input({ duplicatesDropped: -1 }))).toThrow(/duplicatesDropped/);
    expect(() => createManifest(input({ fetch: { ...FETCH, requests: 1.5 } }))).toThrow(/fetch\.requests/);
    expect(() => createManifest(input({ archiveCount: 0 }))).toThrow(/archiveCount/);
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

  it('refuses a record count that disagrees with the object', () => {
    const manifest = { ...createManifest(input()), records: 11 };
    expect(() => serializeManifest(manifest)).toThrow(ArchiveError);
    expect(() => serializeManifest(manifest)).toThrow(/records is 11 but the object holds 10/);
  });

  it('names the source when the text is not JSON', () => {
    expect(() => parseManifest('{"manifestVersion":', 's3://b/p/_manifest.json')).toThrow('s3://b/p/_manifest.json is not valid JSON');
  });

  it('names the source and the offending field of an invalid manifest', () => {
    expect(() => parseManifest(stored({ object: { ...OBJECT, sha256: 'XYZ' } }), 'm.json')).toThrow(
      /^m\.json is not a valid manifest: object\.sha256/,
    );
    expect(() => parseManifest(stored({ manifestVersion: 1 }), 'm.json')).toThrow(/manifestVersion/);
    expect(() => parseManifest(stored({ partition: { dt: '2026-3-4', hour: '05' } }), 'm.json')).toThrow(/partition\.dt/);
    expect(() => parseManifest(stored({ completedAt: 'yesterday' }), 'm.json')).toThrow(/completedAt/);
    expect(() => parseManifest(stored({ object: { ...OBJECT, etag: '' } }), 'm.json')).toThrow(/object\.etag/);
  });

  it('rejects unknown keys, so a typo in a tool reading manifests cannot pass silently', () => {
    expect(() => parseManifest(stored({ record: 10 }), 'm.json')).toThrow(/m\.json is not a valid manifest/);
  });
});

describe('countersOf', () => {
  it('reads the counters of a version 2 manifest and counts a version 1 manifest as one fetched version', () => {
    expect(countersOf(stored({ archiveCount: 5, reprocessCount: 2 }), 'm.json')).toEqual({ archiveCount: 5, reprocessCount: 2 });
    expect(countersOf('{"manifestVersion":1,"records":3}', 'm.json')).toEqual({ archiveCount: 1, reprocessCount: 0 });
    expect(() => countersOf('{"manifestVersion":2}', 'm.json')).toThrow(/m\.json is not a valid manifest: archiveCount/);
  });
});
