/**
 * The checkpoint of a continued hour as the ledger entry keeps it (keys, ETags, counts: small), and its state
 * object: what this version writes is read back equal, anything else is refused so the hour starts over.
 */
import { describe, expect, it } from 'vitest';
import { checkpointJson, parseCheckpoint, parseWindowState, type Checkpoint } from '../../functions/lib/sync/continuation';

const CHECKPOINT: Checkpoint = {
  v: 1,
  since: '2026-11-20T11:05:00.000Z',
  base: null,
  invocations: 2,
  state: { key: 'kore-qa/_checkpoints/stream_id=s/dt=2026-11-20/hour=10/run-2.state.json.gz', etag: '"e2"' },
  chunks: [
    { key: 'kore-qa/_checkpoints/stream_id=s/dt=2026-11-20/hour=10/run-1.jsonl.gz', etag: '"c1"', bytes: 1234 },
    { key: 'kore-qa/_checkpoints/stream_id=s/dt=2026-11-20/hour=10/run-2.jsonl.gz', etag: '"c2"', bytes: 99 },
  ],
};

const READER = {
  v: 1,
  requests: 11,
  method: 'pages',
  signs: [],
  apiTotalResults: 150,
  served: 7,
  seen: ['id:c-1', 'id:c-2'],
  plain: { next: 12, received: 77, cap: 46, last: 22, done: false },
  pass: { distinct: 2, repeats: 0, shortWithMore: 0, totals: '150/22', totalsChanged: false, lastTotal: 150, maxTotal: 150 },
};

const STATE = {
  v: 1,
  reader: READER,
  written: [['id:c-1', 'digest-1']],
  duplicates: 0,
  problems: 1,
  unexpected: 0,
  skipped: { repeated: 0, nextWindow: 1 },
  boundary: { fetched: ['c-1'], firstSecond: [], nextHour: [{ conversationId: 'n-1', raw: '{}' }], keptHereIds: [], keptHere: 0, leftToPrevious: 0 },
  drift: { unknownKeys: { 'New Key': 2 }, typeMisfits: {} },
};

describe('the ledger checkpoint', () => {
  it('reads back what was written', () => {
    expect(parseCheckpoint(checkpointJson(CHECKPOINT))).toEqual(CHECKPOINT);
    expect(JSON.stringify(checkpointJson(CHECKPOINT)).length).toBeLessThan(600);
  });

  it.each([
    ['another version', { ...CHECKPOINT, v: 2 }],
    ['no state object', { ...CHECKPOINT, state: undefined }],
    ['a chunk without its ETag', { ...CHECKPOINT, chunks: [{ key: 'k', bytes: 1 }] }],
    ['a local time', { ...CHECKPOINT, since: '2026-11-20 11:05' }],
    ['an older pages-read checkpoint', { pagesRead: 3 }],
  ])('refuses %s', (_what, value) => {
    expect(parseCheckpoint(JSON.parse(JSON.stringify(value)) as never)).toBeUndefined();
  });
});

describe('the state object', () => {
  it('reads back what was written', () => {
    expect(parseWindowState(JSON.parse(JSON.stringify(STATE)))).toEqual(STATE);
  });

  it('refuses a state whose reader position is not this version’s', () => {
    expect(parseWindowState({ ...STATE, reader: { ...READER, v: 0 } })).toBeUndefined();
    expect(parseWindowState({ ...STATE, written: [['id:c-1']] })).toBeUndefined();
    expect(parseWindowState({ ...STATE, boundary: undefined })).toBeUndefined();
  });
});
