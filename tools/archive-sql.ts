/**
 * The archive as a DuckDB table, for the demo and the end-to-end tests. The questions asked of it are the
 * stack's saved Athena queries (infra/named-queries.ts), translated by tools/athena-dialect.ts.
 */
import { join } from 'node:path';
import type { Json } from '@duckdb/node-api';
import { loadContacts, openArchiveDb, query } from './duckdb';

/** The archive loaded into DuckDB with the declared column types. */
export interface OpenArchive {
  /** Number of contact lines loaded. */
  readonly rows: number;
  query(sql: string): Promise<Record<string, Json>[]>;
  close(): void;
}

/**
 * Loads every `*.jsonl.gz` below `contactsDir` (a local copy of `{prefix}/contacts/`, keeping the
 * `stream_id=/dt=/hour=` folders) into a `contacts` table typed by the schema module; a line that does not
 * agree with its declared types makes this throw.
 */
export async function openArchive(contactsDir: string): Promise<OpenArchive> {
  const db = await openArchiveDb();
  try {
    const { rows } = await loadContacts(db.connection, { files: join(contactsDir, '**', '*.jsonl.gz') });
    return { rows, query: (sql) => query(db.connection, sql), close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}
