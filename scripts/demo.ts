/**
 * The local demo (`npm run demo`): no AWS account, no network beyond 127.0.0.1.
 *
 * 1. starts the Kore API simulator, an embedded S3 (s3rver) and a local Secrets Manager endpoint on loopback;
 * 2. runs the real Lambda handler with a scheduled event: it catches up the last hours for two streams;
 *    `kore-qa-archive status` then shows them in the ledger's grid;
 * 3. loads the archive into DuckDB with the column types declared for the Glue table, runs the stack's saved
 *    Athena queries on it (translated as tools/athena-dialect.ts documents) and draws two charts.
 *
 * The archive is temporary; `npm run local` keeps one to play with.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes, formatCount, formatDuration } from '../functions/cli/format';
import { runStatusCommand } from '../functions/cli/status';
import { floorHour, formatHour, HOUR_MS } from '../functions/lib/sync/windows';
import { openArchive } from '../tools/archive-sql';
import { toDuckDb } from '../tools/athena-dialect';
import { lambdaContext, scheduledEvent } from '../tools/lambda';
import { startLocalStack } from '../tools/local-stack';
import { SAVED_QUERIES } from '../tools/sql-shell';
import { barChart, sparkline } from '../tools/terminal-chart';
import { renderTable } from '../tools/text-table';

// Before any AWS SDK client exists: the SDK reads it once, at the first client's construction.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HOURS = 8;
const STREAMS = ['st-demo-sales', 'st-demo-support'];
/** Rows shown per query result. */
const ROWS_SHOWN = 8;

function heading(text: string): void {
  console.log(`\n${text}\n${'='.repeat(text.length)}\n`);
}

/** The average evaluation score per queue and hour, for the sparklines (DuckDB dialect; a demo-only question). */
const SCORE_BY_QUEUE_AND_HOUR = `
SELECT q.queue_name AS queue, c.window_start AS hour, round(avg(c.kore_evaluation_score), 1) AS avg_score
FROM contacts c CROSS JOIN UNNEST(c.queues) AS t(q)
WHERE c.kore_evaluation_score IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2`;

async function main(): Promise<void> {
  const startedAt = Date.now();
  const now = new Date();
  const stack = await startLocalStack({
    simulator: {
      credentials: { clientId: 'cs-demo-client', clientSecret: 'demo-secret-not-for-production', accountId: 'demo-account', orgId: 'o-demo-org' },
      seed: 2026,
      // A busier sales line than support, and a different volume every hour, so the numbers look like a real day.
      contactsPerHour: (streamId, hour) => (streamId.endsWith('sales') ? 60 : 35) + ((hour.getUTCHours() * 17) % 23),
    },
    bucket: 'kore-qa-demo',
  });
  const { sim, s3, secrets, secretId } = stack;
  const workDir = await mkdtemp(join(tmpdir(), 'kore-qa-demo-'));
  try {
    const start = new Date(floorHour(now).getTime() - HOURS * HOUR_MS);
    Object.assign(
      process.env,
      stack.env({
        KORE_STREAM_IDS: STREAMS.join(','),
        ARCHIVE_START: formatHour(start),
        KORE_RATE_LIMIT_RPM: '600',
        ...(process.env.POWERTOOLS_LOG_LEVEL === undefined ? {} : { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL }),
      }),
    );
    console.log('kore-qa-archive demo: everything runs on 127.0.0.1');
    console.log(`  Kore API simulator  ${sim.url}`);
    console.log(`  local S3 (s3rver)   ${s3.endpoint}  bucket ${s3.bucket}`);
    console.log(`  Secrets Manager     ${secrets.endpoint}  secret ${secretId}`);

    heading(`1. The hourly Lambda run, catching up ${HOURS} hours for ${STREAMS.length} streams`);
    const { handler } = await import('../functions/sync/handler');
    const summary = await handler(scheduledEvent(now.toISOString()), lambdaContext(15 * 60_000, 'kore-qa-archive-demo'));
    console.log(
      renderTable(
        summary.windows.map((w) => ({ stream: w.streamId, hour: w.hour, status: w.status, contacts: w.records, size: formatBytes(w.bytes), pages: w.pages })),
      ),
    );
    console.log(`\n${formatCount(summary.hoursArchived, 'stream-hour')} archived: ${formatCount(summary.contacts, 'contact')}, ${formatBytes(summary.bytes)} of gzipped JSON lines.`);

    heading('2. What is archived: `kore-qa-archive status`, read from the ledger');
    const statusCode = await runStatusCommand(['--from', formatHour(start).slice(0, 10)], process.env, (line) => console.log(line));
    if (statusCode !== 0) throw new Error(`kore-qa-archive status ended with exit status ${statusCode}`);

    heading('3. The archive in S3: one Hive partition per stream and hour');
    const keys = await stack.download('kore-qa/contacts/', workDir);
    for (const key of keys.slice(0, 4)) console.log(`  s3://${s3.bucket}/${key}`);
    console.log(`  … ${keys.length} objects in all`);

    const archive = await openArchive(join(workDir, 'kore-qa', 'contacts'));
    try {
      heading("4. The stack's saved Athena queries, run on DuckDB with the Glue table's column types");
      console.log(`${formatCount(archive.rows, 'contact')} loaded. The first query as Athena runs it (the workgroup's saved query):\n`);
      console.log((SAVED_QUERIES[0]?.sql ?? '').replace(/^/gm, '    '));
      console.log('\nDuckDB runs the same text after four documented rewrites (tools/athena-dialect.ts).');
      const results = new Map<string, Awaited<ReturnType<typeof archive.query>>>();
      for (const [i, q] of SAVED_QUERIES.entries()) {
        const rows = await archive.query(toDuckDb(q.sql));
        results.set(q.name, rows);
        console.log(`\n${i + 1}. ${q.name}: ${q.description}\n`);
        console.log(renderTable(rows.slice(0, ROWS_SHOWN)));
        if (rows.length > ROWS_SHOWN) console.log(`… ${formatCount(rows.length - ROWS_SHOWN, 'more row')}`);
      }

      heading('5. Two answers that read better as pictures');
      const perHour = [...(results.get('Contacts per hour') ?? [])].sort((a, b) =>
        `${String(a.stream_id)} ${String(a.dt)} ${String(a.hour)}`.localeCompare(`${String(b.stream_id)} ${String(b.dt)} ${String(b.hour)}`),
      );
      console.log('Contacts per stream and hour (UTC):\n');
      console.log(barChart(perHour.map((r) => ({ label: `${String(r.stream_id)}  ${String(r.dt)} ${String(r.hour)}h`, value: Number(r.contacts) }))));
      const scores = await archive.query(SCORE_BY_QUEUE_AND_HOUR);
      const hours = [...new Set(scores.map((r) => String(r.hour)))].sort();
      const queues = [...new Set(scores.map((r) => String(r.queue)))].sort();
      const width = Math.max(...queues.map((q) => q.length));
      console.log(`\nAverage evaluation score per queue, hour by hour (${hours.length} hours, low ▁ to high █):\n`);
      for (const queue of queues) {
        const byHour = new Map(scores.filter((r) => r.queue === queue).map((r) => [String(r.hour), Number(r.avg_score)]));
        const values = hours.map((h) => byHour.get(h) ?? null);
        const present = values.filter((v): v is number => v !== null);
        console.log(`  ${queue.padEnd(width)}  ${sparkline(values)}  ${Math.min(...present)} to ${Math.max(...present)}`);
      }
    } finally {
      archive.close();
    }
    console.log(`\nDone in ${formatDuration(Date.now() - startedAt)}. Next: \`npm run local\` keeps an archive to play with (README, "A five-minute tour").`);
  } finally {
    await stack.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`npm run demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
