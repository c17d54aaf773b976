/**
 * The bare minimum, a child of the benchmark: the CPU that turning the API's pages into the archive's gzipped
 * JSON lines cannot go below, measured on the same page bodies the function received, in the same kind of process.
 *
 * Per page: `JSON.parse` the body; per contact, build the row with the schema's columns (a reader per column
 * compiled once from COLUMN_SPECS, exact source keys, the cheapest coercion of each type, `raw` as the contact's
 * JSON text), `JSON.stringify` it; then the page's lines go to gzip in one write. No fetching, no S3, no checks,
 * no problem reports: whatever the function does beyond this is overhead.
 *
 * Argument: JSON `{"pagesFile": "...", "gzipLevel": 6}`; the file holds a JSON array of the page bodies.
 */
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { COLUMN_SPECS, formatTimestamp, SCHEMA_VERSION, type ColumnType, type SourceKey } from '../../functions/lib/archive/schema';
import { childMain, cpuMsSince } from './child';

type Read = (value: unknown) => unknown;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(source: Obj, key: SourceKey): unknown {
  if (typeof key === 'string') return source[key];
  let v: unknown = source;
  for (const k of key) v = isObj(v) ? v[k] : undefined;
  return v;
}

/** The first of `keys` present in the object. */
function pick(keys: readonly SourceKey[]): (o: Obj) => unknown {
  if (keys.length === 1) {
    const only = keys[0] as SourceKey;
    return (o) => at(o, only);
  }
  return (o) => {
    for (const k of keys) {
      const v = at(o, k);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

function compile(type: ColumnType): Read {
  switch (type.kind) {
    case 'string':
      return (v) => (typeof v === 'string' ? v : v === undefined || v === null ? null : typeof v === 'object' ? (type.stringifyObjects ? JSON.stringify(v) : null) : String(v));
    case 'json':
      return (v) => (v === undefined ? null : JSON.stringify(v));
    case 'int':
    case 'bigint':
    case 'double':
      return (v) => (typeof v === 'number' ? v : typeof v === 'string' ? (Number.isFinite(parseFloat(v)) ? parseFloat(v) : null) : null);
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : null);
    case 'timestamp':
      return (v) => (typeof v === 'string' || typeof v === 'number' ? (formatTimestamp(new Date(v)) ?? null) : null);
    case 'array': {
      const element = compile(type.element);
      return (v) => (Array.isArray(v) ? v.map(element) : null);
    }
    case 'struct': {
      const fields = type.fields.map((f) => [f.name, pick(f.from), compile(f.type)] as const);
      return (v) => {
        if (!isObj(v)) return null;
        const out: Obj = {};
        for (const [name, get, read] of fields) out[name] = read(get(v)) ?? null;
        return out;
      };
    }
    case 'map': {
      const value = compile(type.value);
      return (v) => {
        if (!isObj(v)) return null;
        const out: Obj = {};
        for (const k in v) out[k] = value(v[k]);
        return out;
      };
    }
  }
}

/** Builds a row from a contact and its JSON text: the schema's columns, in order. */
function rowBuilder(ingestion: Obj): (contact: Obj, text: string) => Obj {
  const columns = COLUMN_SPECS.map((spec) => {
    if (spec.origin === 'api') {
      const get = pick(spec.from);
      const read = compile(spec.type);
      return (c: Obj): unknown => read(get(c)) ?? null;
    }
    if (spec.origin === 'contact') return (_c: Obj, text: string): unknown => text;
    const constant = ingestion[spec.name] ?? null;
    return (): unknown => constant;
  });
  const names = COLUMN_SPECS.map((s) => s.name);
  return (contact, text) => {
    const row: Obj = {};
    for (let i = 0; i < names.length; i++) row[names[i] as string] = (columns[i] as (c: Obj, t: string) => unknown)(contact, text);
    return row;
  };
}

/** What the baseline reports. */
export interface BaselineReport {
  readonly contacts: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly gzipBytes: number;
}

async function main(): Promise<BaselineReport> {
  const { pagesFile, gzipLevel } = JSON.parse(process.argv[2] ?? '{}') as { pagesFile: string; gzipLevel: number };
  const pages = JSON.parse(await readFile(pagesFile, 'utf8')) as string[];
  const now = formatTimestamp(new Date());
  const build = rowBuilder({ archived_at: now, window_start: now, window_end: now, run_id: 'baseline', schema_version: SCHEMA_VERSION });

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const gzip = createGzip({ level: gzipLevel });
  let gzipBytes = 0;
  gzip.on('data', (chunk: Buffer) => (gzipBytes += chunk.length));
  let contacts = 0;
  for (const body of pages) {
    const { results } = JSON.parse(body) as { results: Obj[] };
    let lines = '';
    for (const contact of results) lines += `${JSON.stringify(build(contact, JSON.stringify(contact)))}\n`;
    contacts += results.length;
    if (!gzip.write(lines)) await once(gzip, 'drain');
  }
  gzip.end();
  await once(gzip, 'end');
  return { contacts, cpuMs: cpuMsSince(cpu0), wallMs: Math.round(performance.now() - t0), gzipBytes };
}

childMain(main);
