/**
 * `npx tsx scripts/row-size.ts [contacts-per-hour] [hours]`: the stored bytes per contact of candidate row
 * formats, against the API's own bytes gzipped (the yardstick of the bench's Storage scenario). Cheap: no S3,
 * no HTTP. The simulator's contact store generates the stream-hours (the bench's seed), the real normalizer
 * builds the rows, and each candidate is compressed as one object per stream-hour, as the writer stores it.
 * The figures and the reasoning are in docs/tuning.md, "Row size".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { GZIP_LEVEL as LEVEL } from '../functions/lib/archive/gzip-upload';
import { createNormalizer, type IngestContext } from '../functions/lib/archive/normalize';
import { resultsTexts } from '../functions/lib/kore/results-text';
import { HOUR_MS } from '../functions/lib/sync/windows';
import type { RawContact } from '../functions/lib/types';
import { ContactStore } from '../tools/kore-simulator/store';


type Row = Readonly<Record<string, unknown>>;

/** One stream-hour: each contact's exact text and its row. */
interface Hour {
  readonly texts: readonly string[];
  readonly rows: readonly Row[];
}

/** A candidate: how it turns an hour into stored objects (one text per object). */
interface Candidate {
  readonly name: string;
  readonly objects: (hour: Hour) => readonly string[];
  /** Compressed size of one object; default gzip at the writer's level. */
  readonly size?: (text: string) => number | undefined;
}

const jsonl = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');
const gzip = (level: number) => (text: string) => gzipSync(text, { level }).length;

/** The size an installed command-line compressor gives, or undefined when it is not installed. */
function cli(command: string, ...args: string[]): (text: string) => number | undefined {
  return (text) => {
    try {
      return execFileSync(command, args, { input: text, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] }).length;
    } catch {
      return undefined;
    }
  };
}

/** The row without `raw`: the typed and ingestion columns only. */
function typed(row: Row): Row {
  const { raw: _raw, ...rest } = row;
  return rest;
}

/** The row's line with `raw` written as the contact's JSON value (unescaped) instead of a JSON string. */
function spliced(row: Row, text: string): string {
  const marker = '"@@raw-value@@"';
  const line = JSON.stringify({ ...row, raw: '@@raw-value@@' });
  const at = line.indexOf(marker);
  return `${line.slice(0, at)}${text}${line.slice(at + marker.length)}`;
}

/** A JSON value without its null members, at every depth (array elements stay, null or not). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === null ? [] : [[k, withoutNulls(v)]])));
}

const current = (h: Hour): string[] => [jsonl(h.rows.map((r) => JSON.stringify(r)))];

const CANDIDATES: readonly Candidate[] = [
  { name: 'the API text alone (the yardstick)', objects: (h) => [jsonl(h.texts)] },
  { name: 'today: typed columns + `raw` as an escaped string', objects: current },
  { name: 'today, gzip level 9', objects: current, size: gzip(9) },
  { name: 'today, null members left out (every depth)', objects: (h) => [jsonl(h.rows.map((r) => JSON.stringify(withoutNulls(r))))] },
  { name: '`raw` spliced in as a JSON value (not a string)', objects: (h) => [jsonl(h.rows.map((r, i) => spliced(r, h.texts[i] ?? '')))] },
  { name: 'typed columns + a companion object of raw lines', objects: (h) => [jsonl(h.rows.map((r) => JSON.stringify(typed(r)))), jsonl(h.texts)] },
  { name: 'typed columns only (what a typed query would scan then)', objects: (h) => [jsonl(h.rows.map((r) => JSON.stringify(typed(r))))] },
  { name: 'today, zstd -3 (reference: another codec)', objects: current, size: cli('zstd', '-3', '-c', '-q') },
  { name: 'today, bzip2 -9 (reference)', objects: current, size: cli('bzip2', '-9', '-c') },
];

/** The vendor's serializer writes `, ` and `: ` between tokens (see the samples of the API reference). */
function vendorSpacing(json: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < json.length; i += 1) {
    const c = json[i] as string;
    out += c;
    if (inString) {
      if (c === '\\') out += json[(i += 1)] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ',' || c === ':') out += ' ';
  }
  return out;
}

/** The table of {@link CANDIDATES} for `hours` stream-hours of `perHour` contacts, each text passed through `spell`. */
function measure(title: string, perHour: number, hours: number, spell: (text: string) => string): string {
  const normalizer = createNormalizer();
  const store = new ContactStore({ seed: 2026, contactsPerHour: perHour, edgeContacts: true, cacheBytes: 1 << 30 });
  const first = Date.UTC(2026, 4, 2);
  const totals = CANDIDATES.map(() => 0 as number | undefined);
  let contacts = 0;
  let apiBytes = 0;
  for (let h = 0; h < hours; h += 1) {
    const from = first + h * HOUR_MS;
    const window = { start: new Date(from), end: new Date(from + HOUR_MS) };
    const ctx: IngestContext = { streamId: 'st-size', window, runId: 'run-size', archivedAt: new Date(from + 2 * HOUR_MS) };
    const texts = store.query('st-size', from, from + HOUR_MS, { includeBelowThreshold: true }).map((c) => spell(c.json.toString('utf8')));
    const rows = texts.map((text) => normalizer.normalize({ value: JSON.parse(text) as RawContact, text }, ctx).row);
    contacts += texts.length;
    apiBytes += Buffer.byteLength(jsonl(texts));
    CANDIDATES.forEach((candidate, i) => {
      const size = candidate.size ?? gzip(LEVEL);
      const bytes = candidate.objects({ texts, rows }).map(size);
      const total = totals[i];
      totals[i] = total === undefined || bytes.includes(undefined) ? undefined : total + bytes.reduce<number>((a, b) => a + (b ?? 0), 0);
    });
  }
  const yardstick = totals[0] ?? Number.NaN;
  const lines = [
    `${title}: ${contacts} contacts in ${hours} stream-hours, ${(apiBytes / contacts).toFixed(0)} B of API text per contact`,
    '',
    '| Row format | bytes per contact | ÷ API gzipped |',
    '| --- | ---: | ---: |',
    ...CANDIDATES.map(({ name }, i) => {
      const total = totals[i];
      return total === undefined ? `| ${name} | (not installed) | |` : `| ${name} | ${(total / contacts).toFixed(0)} | ${(total / yardstick).toFixed(2)}× |`;
    }),
  ];
  return lines.join('\n');
}

/**
 * One contact per object, the vendor's own samples against simulated contacts: are the simulated contacts a fair
 * stand-in for the ratio? (An hour's object also shares text between contacts, which a single one cannot.)
 */
function perContact(samples: readonly string[]): string {
  const normalizer = createNormalizer();
  const window = { start: new Date(Date.UTC(2026, 4, 2)), end: new Date(Date.UTC(2026, 4, 2) + HOUR_MS) };
  const ctx: IngestContext = { streamId: 'st-size', window, runId: 'run-size', archivedAt: window.end };
  const ratios = (texts: readonly string[], line: (row: Row, text: string) => string): string =>
    texts
      .map((text) => gzip(LEVEL)(line(normalizer.normalize({ value: JSON.parse(text) as RawContact, text }, ctx).row, text)) / gzip(LEVEL)(text))
      .map((r) => `${r.toFixed(2)}×`)
      .join(', ');
  const store = new ContactStore({ seed: 2026, contactsPerHour: 4, edgeContacts: false });
  const simulated = store.query('st-size', window.start.getTime(), window.end.getTime(), { includeBelowThreshold: true }).map((c) => vendorSpacing(c.json.toString('utf8')));
  return [
    'One contact per object (gzipped row line ÷ gzipped contact text):',
    '',
    '| Contacts | today | `raw` spliced as a JSON value |',
    '| --- | --- | --- |',
    `| the vendor's samples | ${ratios(samples, (r) => JSON.stringify(r))} | ${ratios(samples, spliced)} |`,
    `| simulated, vendor spacing | ${ratios(simulated, (r) => JSON.stringify(r))} | ${ratios(simulated, spliced)} |`,
  ].join('\n');
}

const SAMPLES = ['rawdata-response-current.json', 'rawdata-response-previous.json'].flatMap(
  (name) => resultsTexts(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8')) ?? [],
);

const perHour = Number(process.argv[2] ?? 1000);
const hours = Number(process.argv[3] ?? 3);
console.log(measure('The simulator (compact JSON)', perHour, hours, (t) => t));
console.log();
console.log(perContact(SAMPLES));
console.log();
console.log(measure("The vendor's spacing (`, ` and `: ` between tokens)", perHour, hours, vendorSpacing));
