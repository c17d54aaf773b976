/**
 * Analyst questions over the archive, answered with SQL through DuckDB (the local demo and the end-to-end
 * tests). This is DuckDB's dialect: its `UNNEST` of an array of structs yields one struct column, while
 * Athena (Trino) expands it into one column per field. The Athena versions of these questions are the
 * workgroup's saved queries (infra/named-queries.ts).
 */
import { join } from 'node:path';
import type { Json } from '@duckdb/node-api';
import { loadContacts, openArchiveDb, query } from './duckdb';

/** A question and the SQL that answers it over the `contacts` table. */
export interface AnalystQuestion {
  readonly title: string;
  readonly sql: string;
}

export const ANALYST_QUESTIONS: readonly AnalystQuestion[] = Object.freeze([
  {
    title: 'Pass rate by agent (evaluated contacts)',
    sql: `
SELECT a.agent_name AS agent,
       count(*) AS evaluated,
       round(100.0 * sum(CASE WHEN c.is_passed THEN 1 ELSE 0 END) / count(*), 1) AS pass_rate_pct
FROM contacts c
CROSS JOIN UNNEST(c.agents) AS t(a)
WHERE c.duration_status = 'evaluated' AND c.kore_evaluation_score IS NOT NULL
GROUP BY a.agent_name
ORDER BY pass_rate_pct DESC, agent
LIMIT 12`,
  },
  {
    title: 'Average evaluation score by queue',
    sql: `
SELECT q.queue_name AS queue,
       count(*) AS evaluated,
       round(avg(c.kore_evaluation_score), 1) AS avg_score,
       round(avg(c.duration_ms) / 1000.0, 0) AS avg_duration_s
FROM contacts c
CROSS JOIN UNNEST(c.queues) AS t(q)
WHERE c.kore_evaluation_score IS NOT NULL
GROUP BY q.queue_name
ORDER BY avg_score DESC, queue`,
  },
  {
    title: 'Most failed metrics',
    sql: `
SELECT m.metric_name AS metric,
       count(*) AS failures,
       sum(CASE WHEN m.is_fatal_error THEN 1 ELSE 0 END) AS fatal_failures
FROM contacts c
CROSS JOIN UNNEST(c.metrics) AS t(m)
WHERE m.qualification = 'NO'
GROUP BY m.metric_name
ORDER BY failures DESC, metric
LIMIT 10`,
  },
  {
    title: 'Contacts per stream and hour (partition columns)',
    sql: `
SELECT stream_id, dt, hour,
       count(*) AS contacts,
       sum(CASE WHEN duration_status = 'below_threshold' THEN 1 ELSE 0 END) AS below_threshold
FROM contacts
GROUP BY stream_id, dt, hour
ORDER BY stream_id, dt, hour`,
  },
]);

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
