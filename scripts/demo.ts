/**
 * The local demo (`npm run demo`): no AWS account, no network beyond 127.0.0.1.
 *
 * 1. starts the Kore API simulator, an embedded S3 (s3rver) and a local Secrets Manager endpoint on loopback;
 * 2. runs the real Lambda handler with a scheduled event: it catches up the last few hours for two streams;
 * 3. downloads the archive and answers analyst questions with SQL through DuckDB, using the column types
 *    declared for the Glue table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floorHour, formatHour, HOUR_MS } from '../functions/lib/sync/windows';
import { ANALYST_QUESTIONS, openArchive } from '../tools/archive-sql';
import { lambdaContext, scheduledEvent } from '../tools/lambda';
import { startLocalStack } from '../tools/local-stack';

const HOURS = 4;
const STREAMS = ['st-demo-sales', 'st-demo-support'];

async function main(): Promise<void> {
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
    console.log(`Kore API simulator  ${sim.url}`);
    console.log(`local S3 (s3rver)   ${s3.endpoint}  bucket ${s3.bucket}`);
    console.log(`Secrets Manager     ${secrets.endpoint}  secret ${secretId}`);
    console.log(`\nRunning the Lambda handler with a scheduled event at ${now.toISOString()}: it archives every hour since ${formatHour(start)} for ${STREAMS.join(', ')}.\n`);

    const { handler } = await import('../functions/sync/handler');
    const summary = await handler(scheduledEvent(now.toISOString()), lambdaContext(15 * 60_000, 'kore-qa-archive-demo'));
    console.table(
      summary.windows.map((w) => ({ stream: w.streamId, hour: w.hour, status: w.status, contacts: w.records, objects: w.objects, bytes: w.bytes, pages: w.pages })),
    );
    console.log(`${summary.hoursArchived} hours, ${summary.contacts} contacts, ${summary.objects} objects, ${summary.bytes} bytes.\n`);

    const keys = await stack.download('kore-qa/contacts/', workDir);
    console.log('Archive layout (first objects):');
    for (const key of keys.slice(0, 6)) console.log(`  s3://${s3.bucket}/${key}`);
    console.log(`  ... ${keys.length} objects in all\n`);

    const archive = await openArchive(join(workDir, 'kore-qa', 'contacts'));
    console.log(`DuckDB loaded ${archive.rows} contacts with the column types declared for the Glue table.\n`);
    try {
      for (const question of ANALYST_QUESTIONS) {
        console.log(`${question.title}\n${question.sql.trim()}\n`);
        console.table(await archive.query(question.sql));
        console.log('');
      }
    } finally {
      archive.close();
    }
  } finally {
    await stack.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
