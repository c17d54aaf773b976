/**
 * A SQL shell over an archive: the contacts are copied from S3 (the local playground's, or a real bucket)
 * into a temporary folder and loaded into DuckDB with the column types declared for the Glue table. It
 * answers SQL, and runs the stack's saved Athena queries through the documented dialect translation.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { COLUMNS } from '../functions/lib/archive/schema';
import { listKeys } from '../functions/lib/aws/s3-client';
import { namedQueries, type NamedQueryDef } from '../infra/named-queries';
import { toDuckDb } from './athena-dialect';
import { loadContacts, openArchiveDb, query, type ArchiveDb } from './duckdb';
import { renderTable } from './text-table';

/** The saved queries, as the stack defines them (database and table names as in the example configuration). */
export const SAVED_QUERIES: readonly NamedQueryDef[] = namedQueries('kore_qa_archive', 'contacts');

/** Copies every data object under `{prefix}/contacts/` into `dir`, keeping the partition folders. */
export async function downloadContacts(s3: S3Client, bucket: string, prefix: string, dir: string): Promise<string[]> {
  const keys = (await listKeys(s3, bucket, `${prefix}/contacts/`)).filter((k) => k.endsWith('.jsonl.gz'));
  const files: string[] = [];
  for (const key of keys) {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const file = join(dir, key);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    files.push(file);
  }
  return files;
}

/** An open shell. */
export interface SqlShell {
  /** Contacts loaded. */
  readonly rows: number;
  /** Answers one complete input (a SQL statement or a dot command) with the text to print. */
  answer(input: string): Promise<string>;
  close(): Promise<void>;
}

export const SHELL_HELP = `Type SQL ending with ";" over the table contacts, or:
  .queries         the stack's saved Athena queries
  .query N         run saved query N here (translated to DuckDB: see tools/athena-dialect.ts)
  .athena N        show saved query N as Athena runs it
  .columns         the columns and their Glue types
  .help            this text
  .quit            leave (Ctrl-D works too)`;

/** Loads the archive under `{prefix}/contacts/` of `bucket` and opens a shell over it. */
export async function openSqlShell(s3: S3Client, bucket: string, prefix: string): Promise<SqlShell> {
  const dir = await mkdtemp(join(tmpdir(), 'kore-qa-sql-'));
  let db: ArchiveDb | undefined;
  try {
    const files = await downloadContacts(s3, bucket, prefix, dir);
    db = await openArchiveDb();
    const { rows } = await loadContacts(db.connection, { files });
    const connection = db.connection;
    const opened = db;
    const savedQuery = (arg: string | undefined): NamedQueryDef => {
      const n = Number(arg);
      const q = Number.isInteger(n) ? SAVED_QUERIES[n - 1] : undefined;
      if (q === undefined) throw new Error(`no saved query ${arg ?? ''}: .queries lists 1 to ${SAVED_QUERIES.length}`);
      return q;
    };
    return {
      rows,
      async answer(input) {
        // A dot command may carry a trailing `-- comment`, as the README's examples do.
        const text = input.trim().startsWith('.') ? input.trim().replace(/\s+--.*$/, '') : input.trim();
        try {
          if (text === '.help') return SHELL_HELP;
          if (text === '.queries') return SAVED_QUERIES.map((q, i) => `${i + 1}. ${q.name}: ${q.description}`).join('\n');
          if (text === '.columns') return COLUMNS.map((c) => `${c.name}  ${c.type}`).join('\n');
          const [command, arg] = text.split(/\s+/);
          if (command === '.athena') return savedQuery(arg).sql;
          if (command === '.query') {
            const q = savedQuery(arg);
            return `${q.name}\n\n${renderTable(await query(connection, toDuckDb(q.sql)))}`;
          }
          if (text.startsWith('.')) return `unknown command ${command ?? text}; .help lists them`;
          return renderTable(await query(connection, text));
        } catch (error) {
          return `error: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
        }
      },
      async close() {
        opened.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    db?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
