/**
 * What a reader of the archive sees, compared with the simulator's truth: the hostile-API and commit-kill
 * tests read partitions straight from s3rver (never through the fault proxy) and check every contact once,
 * `raw` byte-equal to the text the API sent, and the manifest naming the data object it describes.
 */
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { handler, resetRuntimeForTests } from '../../functions/sync/handler';
import type { SyncSummary } from '../../functions/lib/sync/sync';
import type { Harness } from './harness';
import { lambdaContext } from './harness';

export const PREFIX = 'kore-qa';
export const HOUR_MS = 3_600_000;

/** `2026-11-20T10` → the hour's start. */
export const hourOf = (iso: string): Date => new Date(`${iso}:00:00.000Z`);
/** `2026-11-20T10` → `2026-11-20T11`. */
export const nextHourIso = (iso: string, n = 1): string => new Date(hourOf(iso).getTime() + n * HOUR_MS).toISOString().slice(0, 13);

export function partitionOf(stream: string, iso: string): string {
  return `${PREFIX}/contacts/stream_id=${stream}/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

/** One archived row, as a reader gets it. */
export interface ArchivedRow {
  readonly conversation_id: string;
  readonly raw: string;
  readonly conversation_start_time: string | null;
  readonly [column: string]: unknown;
}

/** A partition as a reader listing it sees it. */
export interface PartitionView {
  readonly dataKeys: readonly string[];
  /** Rows of every data object listed (a reader reads them all as one hour). */
  readonly rows: readonly ArchivedRow[];
  /** ETag of `part-00000.jsonl.gz`, when it exists. */
  readonly etag: string | undefined;
  /** The manifest's exact text, when there is one. */
  readonly manifestText: string | undefined;
  readonly manifest: ManifestView | undefined;
}

/** The manifest fields the tests look at. */
export interface ManifestView {
  readonly records: number;
  readonly archiveCount: number;
  readonly object: { readonly key: string; readonly etag: string; readonly records: number } | null;
  readonly changes: { added: number; updated: number; unchanged: number; retained: number; removed: number };
  readonly duplicatesDropped: number;
  readonly fetch: {
    readonly method: 'pages' | 'slices';
    readonly requests: number;
    readonly signs: readonly string[];
    readonly skipped: { repeated: number; nextWindow: number };
    readonly unexpectedOutsideWindow: number;
    readonly edge: { firstSecond: string[]; nextHour: { conversationId: string | null; raw: string }[]; recovered: number; keptHere: number };
  } | null;
}

/** Reads one partition straight from s3rver. A data object that is not complete gzip JSON Lines throws. */
export async function readPartition(h: Harness, stream: string, iso: string): Promise<PartitionView> {
  const prefix = partitionOf(stream, iso);
  const keys = await h.s3.listKeys(prefix);
  const dataKeys = keys.filter((k) => k.endsWith('.jsonl.gz'));
  const rows: ArchivedRow[] = [];
  for (const key of dataKeys) {
    const text = gunzipSync(await h.s3.getObject(key)).toString('utf8');
    if (text !== '' && !text.endsWith('\n')) throw new Error(`${key} does not end with a newline: a partial object`);
    for (const line of text.split('\n')) if (line !== '') rows.push(JSON.parse(line) as ArchivedRow);
  }
  const dataKey = `${prefix}part-00000.jsonl.gz`;
  const etag = dataKeys.includes(dataKey)
    ? (await h.s3.s3.send(new HeadObjectCommand({ Bucket: h.s3.bucket, Key: dataKey }))).ETag
    : undefined;
  const manifestKey = `${prefix}_manifest.json`;
  const manifestText = keys.includes(manifestKey) ? (await h.s3.getObject(manifestKey)).toString('utf8') : undefined;
  const manifest = manifestText === undefined ? undefined : (JSON.parse(manifestText) as ManifestView);
  return { dataKeys, rows, etag, manifestText, manifest };
}

/** Conversation id → raw of the rows; throws naming the id when one appears twice. */
export function rowsById(rows: readonly ArchivedRow[], where: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const row of rows) {
    if (out.has(row.conversation_id)) throw new Error(`${where}: contact ${row.conversation_id} archived twice`);
    out.set(row.conversation_id, row.raw);
  }
  return out;
}

/** The truth of consecutive hours as one map (each contact once, whatever windowField and startBound are). */
export function truthOf(h: Harness, stream: string, fromIso: string, hours: number): Map<string, string> {
  const from = hourOf(fromIso);
  return h.sim.truthText(stream, from, new Date(from.getTime() + hours * HOUR_MS), { includeBelowThreshold: true });
}

/** Every archived contact of consecutive hours as one map; throws when one is in two places. */
export async function archiveOf(h: Harness, stream: string, fromIso: string, hours: number): Promise<Map<string, string>> {
  const all: ArchivedRow[] = [];
  for (let i = 0; i < hours; i += 1) all.push(...(await readPartition(h, stream, nextHourIso(fromIso, i))).rows);
  return rowsById(all, `stream ${stream} from ${fromIso}`);
}

/**
 * Differences between an archive and the truth, as readable lines: missing, unexpected and altered contacts.
 * Empty when they are equal (same ids, `raw` byte-equal).
 */
export function diff(archive: ReadonlyMap<string, string>, truth: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [id, text] of truth) {
    const raw = archive.get(id);
    if (raw === undefined) out.push(`missing ${id}`);
    else if (raw !== text) out.push(`raw differs ${id}`);
  }
  for (const id of archive.keys()) if (!truth.has(id)) out.push(`not in truth ${id}`);
  return out;
}

/** Merges maps; later ones win (a newer answer for the same conversation id). */
export function union(...maps: ReadonlyMap<string, string>[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const map of maps) for (const [k, v] of map) out.set(k, v);
  return out;
}

/** Runs THE REAL handler in-process with the harness's environment plus `extra`. */
export async function runHandler(h: Harness, event: unknown, extra: Record<string, string> = {}, context = lambdaContext()): Promise<SyncSummary> {
  const saved = { ...process.env };
  Object.assign(process.env, h.env(extra));
  resetRuntimeForTests();
  try {
    return await handler(event, context);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    resetRuntimeForTests();
  }
}

/**
 * Runs a handler run that is expected to fail, with stderr held back: Powertools warns there that a run which
 * failed before counting anything has no metrics to publish. Shown anyway if `fn` throws something else.
 */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const held: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: unknown) => held.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    process.stderr.write = write;
    const unexpected = held.filter((text) => !text.startsWith('No application metrics to publish'));
    if (unexpected.length > 0) write(unexpected.join(''));
  }
}

/**
 * Runs the handler in-process with Powertools metrics on and logging at WARN (unless `extra` says otherwise), and
 * returns every metric it published (EMF lines) summed by name, its log records, and what it returned or threw.
 */
export async function runWithMetrics(
  h: Harness,
  event: unknown,
  extra: Record<string, string>,
): Promise<{ metrics: Record<string, number>; logs: Record<string, unknown>[]; outcome: SyncSummary | unknown }> {
  const written: string[] = [];
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  // EMF and info logs go to stdout, warnings and errors to stderr (Powertools' Console).
  const capture = ((chunk: unknown) => written.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  let outcome: SyncSummary | unknown;
  try {
    outcome = await runHandler(h, event, { POWERTOOLS_LOG_LEVEL: 'WARN', ...extra, POWERTOOLS_METRICS_DISABLED: 'false' }).catch(
      (error: unknown) => error,
    );
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  const metrics: Record<string, number> = {};
  const logs: Record<string, unknown>[] = [];
  for (const line of written.join('').split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as Record<string, unknown> & { _aws?: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
    if (record._aws === undefined) logs.push(record);
    for (const { Name } of record._aws?.CloudWatchMetrics.flatMap((d) => d.Metrics) ?? []) {
      const value = record[Name];
      const values = Array.isArray(value) ? (value as number[]) : [Number(value)];
      metrics[Name] = (metrics[Name] ?? 0) + values.reduce((a, b) => a + b, 0);
    }
  }
  return { metrics, logs, outcome };
}

/** Every object under `prefix`, to put back later with {@link restore}. */
export async function snapshot(h: Harness, prefix: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const key of await h.s3.listKeys(prefix)) out.set(key, await h.s3.getObject(key));
  return out;
}

/** Makes `prefix` hold exactly the snapshot again (same bytes, so the same ETags). */
export async function restore(h: Harness, prefix: string, saved: ReadonlyMap<string, Buffer>): Promise<void> {
  for (const key of await h.s3.listKeys(prefix)) {
    if (!saved.has(key)) await h.s3.s3.send(new DeleteObjectCommand({ Bucket: h.s3.bucket, Key: key }));
  }
  for (const [key, body] of saved) await h.s3.s3.send(new PutObjectCommand({ Bucket: h.s3.bucket, Key: key, Body: body }));
}
