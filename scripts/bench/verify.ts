/**
 * Is the archive right? The benchmark's check after every run, kept small and independent of the writer's layout
 * details so that it survives their changes: read EVERY `.jsonl.gz` object under the hour's partition folder, and
 * compare the rows' conversation ids and `raw` with the simulator's truth. Each contact must be there exactly once,
 * with `raw` equal to what the API sent; nothing else may be there.
 *
 * Both sides are reduced to a hash per conversation id (of the contact's JSON text, re-serialized from the parsed
 * value so that whitespace cannot matter), so an hour of 50,000 contacts is checked without holding it in memory.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { HOUR_MS } from '../../functions/lib/sync/windows';
import type { KoreSimulator } from '../../tools/kore-simulator';
import type { LocalS3 } from '../../tools/local-s3';

/** What the simulator says the archive of one stream-hour must hold. */
export interface Truth {
  readonly contacts: number;
  /** Conversation id → hash of the contact's JSON. */
  readonly hashById: ReadonlyMap<string, string>;
  /** The contacts as the API sends them (JSON, one per line). */
  readonly apiBytes: number;
  /** Those lines gzipped at the default level: the yardstick of the storage ratio. */
  readonly apiGzipBytes: number;
}

/** The outcome of {@link verifyPartition}. */
export interface Verification {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly rows: number;
  /** Bytes of the data objects (what S3 stores and Athena scans). */
  readonly storedBytes: number;
  readonly objects: number;
}

const hash = (json: string): string => createHash('sha1').update(json).digest('base64');
const SLICE_MS = 60_000;

/** The column that holds a row's conversation id, and the one that holds the contact as sent. */
const ID_COLUMN = 'conversation_id';
const RAW_COLUMN = 'raw';

/** Reads the truth of one stream-hour a minute at a time (only a minute of parsed contacts in memory at once). */
export async function truthOf(sim: KoreSimulator, streamId: string, hour: Date): Promise<Truth> {
  const hashById = new Map<string, string>();
  const gzip = createGzip();
  let apiGzipBytes = 0;
  gzip.on('data', (chunk: Buffer) => (apiGzipBytes += chunk.length));
  let apiBytes = 0;
  let contacts = 0;
  for (let from = hour.getTime(); from < hour.getTime() + HOUR_MS; from += SLICE_MS) {
    let lines = '';
    for (const contact of sim.contactsInWindow(streamId, new Date(from), new Date(from + SLICE_MS), { includeBelowThreshold: true })) {
      const json = JSON.stringify(contact);
      const id = contact['Conversation ID'] ?? contact.conversationId;
      if (typeof id !== 'string') throw new Error(`simulator contact without a conversation id in ${streamId} ${hour.toISOString()}`);
      hashById.set(id, hash(json));
      lines += `${json}\n`;
      contacts += 1;
    }
    apiBytes += Buffer.byteLength(lines);
    if (!gzip.write(lines)) await once(gzip, 'drain');
  }
  gzip.end();
  await once(gzip, 'end');
  if (hashById.size !== contacts) throw new Error(`the simulator repeats a conversation id in ${streamId} ${hour.toISOString()}`);
  return { contacts, hashById, apiBytes, apiGzipBytes };
}

/** The JSON of a row's `raw`, whether it is kept as text (today) or as an object. */
function rawJson(raw: unknown): string | undefined {
  if (typeof raw === 'string') return JSON.stringify(JSON.parse(raw));
  return raw === undefined || raw === null ? undefined : JSON.stringify(raw);
}

/** Compares every data object under `partition` (a folder key ending in `/`) with `truth`. */
export async function verifyPartition(s3: LocalS3, partition: string, truth: Truth): Promise<Verification> {
  const keys = (await s3.listKeys(partition)).filter((k) => k.endsWith('.jsonl.gz'));
  const seen = new Set<string>();
  const problems: string[] = [];
  const problem = (text: string): void => void (problems.length < 5 ? problems.push(text) : undefined);
  let rows = 0;
  let storedBytes = 0;
  for (const key of keys) {
    const body = await s3.getObject(key);
    storedBytes += body.length;
    const lines = createInterface({ input: Readable.from([body]).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      rows += 1;
      const row = JSON.parse(line) as Record<string, unknown>;
      const id = row[ID_COLUMN];
      if (typeof id !== 'string') {
        problem(`${key}: a row without ${ID_COLUMN}`);
        continue;
      }
      if (seen.has(id)) problem(`${id} archived twice`);
      seen.add(id);
      const want = truth.hashById.get(id);
      if (want === undefined) problem(`${id} is not in the simulator's hour`);
      else if (hash(rawJson(row[RAW_COLUMN]) ?? '') !== want) problem(`${id}: raw differs from what the API sent`);
    }
  }
  const missing = [...truth.hashById.keys()].filter((id) => !seen.has(id));
  if (missing.length > 0) problem(`${missing.length} contacts missing, e.g. ${missing[0]}`);
  if (keys.length === 0) problem(`no .jsonl.gz object under ${partition}`);
  return { ok: problems.length === 0, problems, rows, storedBytes, objects: keys.length };
}
