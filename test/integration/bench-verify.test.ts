/**
 * The benchmark's archive check (scripts/bench/verify.ts) against s3rver and the simulator: it accepts an hour
 * archived exactly, and names each way an archive can be wrong, so `npm run bench` can never report figures of a
 * broken run.
 */
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { truthOf, verifyPartition, type Truth } from '../../scripts/bench/verify';
import { startKoreSimulator, type KoreSimulator } from '../../tools/kore-simulator';
import { startLocalS3, type LocalS3 } from '../../tools/local-s3';

const CREDS = Object.freeze({ clientId: 'cs-verify-it', clientSecret: 'verify-it-secret-8d1f', accountId: 'acc-verify-it', orgId: 'o-verify-it' });
const STREAM = 'st-verify';
const HOUR = new Date('2026-11-20T10:00:00Z');

let sim: KoreSimulator;
let s3: LocalS3;
let truth: Truth;
/** Rows as the archive holds them: the conversation id and the contact's JSON text as `raw`. */
let rows: { conversation_id: string; raw: string }[];

beforeAll(async () => {
  sim = await startKoreSimulator({ credentials: { ...CREDS }, seed: 11, contactsPerHour: 30 });
  s3 = await startLocalS3();
  truth = await truthOf(sim, STREAM, HOUR);
  rows = sim
    .contactsInWindow(STREAM, HOUR, new Date(HOUR.getTime() + 3_600_000), { includeBelowThreshold: true })
    .map((c) => ({ conversation_id: c['Conversation ID'] as string, raw: JSON.stringify(c) }));
});
afterAll(async () => {
  await sim.close();
  await s3.close();
});

/** Writes `objects` (each a list of rows) under a fresh partition folder and verifies it. */
async function check(name: string, objects: readonly (readonly object[])[]) {
  const partition = `t/${name}/hour=10/`;
  for (const [i, lines] of objects.entries()) {
    const body = gzipSync(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    await s3.s3.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${partition}part-${i}.jsonl.gz`, Body: body }));
  }
  return verifyPartition(s3, partition, truth);
}

describe('bench archive check', () => {
  it('accepts every contact exactly once with its raw, in one object or split over several', async () => {
    expect(truth.contacts).toBe(32); // 30 generated + the two edge contacts
    expect(await check('exact', [rows])).toMatchObject({ ok: true, rows: 32, objects: 1, problems: [] });
    expect((await check('split', [rows.slice(0, 10), rows.slice(10)])).ok).toBe(true);
  });

  it('names a missing contact, a duplicate, a changed raw, a stranger and an empty partition', async () => {
    const [first, second] = rows as [(typeof rows)[number], (typeof rows)[number]];
    expect((await check('missing', [rows.slice(1)])).problems).toEqual([`1 contacts missing, e.g. ${first.conversation_id}`]);
    expect((await check('twice', [rows, [second]])).problems).toEqual([`${second.conversation_id} archived twice`]);
    const changed = { ...first, raw: first.raw.replace(/"src":"[^"]*"/, '"src":"other"') };
    expect(changed.raw).not.toBe(first.raw);
    expect((await check('changed', [[changed, ...rows.slice(1)]])).problems).toEqual([`${first.conversation_id}: raw differs from what the API sent`]);
    expect((await check('stranger', [[...rows, { conversation_id: 'c-not-there', raw: '{}' }]])).problems).toEqual(['c-not-there is not in the simulator\'s hour']);
    const empty = await verifyPartition(s3, 't/nothing/hour=10/', truth);
    expect(empty.ok).toBe(false);
    expect(empty.problems).toContain('no .jsonl.gz object under t/nothing/hour=10/');
  });
});
