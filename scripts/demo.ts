/**
 * The local demo (`npm run demo`): no AWS account, no network beyond 127.0.0.1.
 *
 * 1. starts the Kore API simulator, an embedded S3 (s3rver) and a local Secrets Manager endpoint on loopback;
 * 2. runs the real Lambda handler with a scheduled event: it catches up the last few hours for two streams;
 * 3. downloads the archive and answers analyst questions with SQL through DuckDB, using the column types
 *    declared for the Glue table.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startKoreSimulator } from '../tools/kore-simulator';
import { startLocalS3 } from '../tools/local-s3';
import { startLocalSecrets } from '../tools/local-secrets';
import { ANALYST_QUESTIONS, openArchive } from '../tools/archive-sql';
import { lambdaContext, scheduledEvent } from '../tools/lambda';

const HOURS = 4;
const STREAMS = ['st-demo-sales', 'st-demo-support'];

async function main(): Promise<void> {
  // The Lambda runs Node 24; the SDK's reminder that its 2027 releases need Node 22 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const now = new Date();
  const credentials = { clientId: 'cs-demo-client', clientSecret: 'demo-secret-not-for-production', accountId: 'demo-account', orgId: 'o-demo-org' };
  // A busier sales line than support, and a different volume every hour, so the numbers look like a real day.
  const sim = await startKoreSimulator({
    credentials,
    seed: 2026,
    contactsPerHour: (streamId, hour) => (streamId.endsWith('sales') ? 60 : 35) + ((hour.getUTCHours() * 17) % 23),
  });
  const s3 = await startLocalS3({ bucket: 'kore-qa-demo' });
  const secretId = 'kore-qa-archive/kore-connection';
  const secrets = await startLocalSecrets({
    [secretId]: JSON.stringify({ host: sim.url, accountId: credentials.accountId, orgId: credentials.orgId, clientId: credentials.clientId, clientSecret: credentials.clientSecret }),
  });
  const workDir = await mkdtemp(join(tmpdir(), 'kore-qa-demo-'));
  try {
    const start = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - HOURS * 3_600_000);
    Object.assign(process.env, {
      ARCHIVE_BUCKET: s3.bucket,
      KORE_SECRET_ID: secretId,
      KORE_STREAM_IDS: STREAMS.join(','),
      ARCHIVE_START: start.toISOString().slice(0, 13),
      KORE_RATE_LIMIT_RPM: '600',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    console.log(`Kore API simulator  ${sim.url}`);
    console.log(`local S3 (s3rver)   ${s3.endpoint}  bucket ${s3.bucket}`);
    console.log(`Secrets Manager     ${secrets.endpoint}  secret ${secretId}`);
    console.log(`\nRunning the Lambda handler with a scheduled event at ${now.toISOString()}: it archives every hour since ${start.toISOString().slice(0, 13)} for ${STREAMS.join(', ')}.\n`);

    const { handler } = await import('../functions/sync/handler');
    const summary = await handler(scheduledEvent(now.toISOString()), lambdaContext(15 * 60_000, 'kore-qa-archive-demo'));
    console.table(
      summary.windows.map((w) => ({ stream: w.streamId, hour: w.hour, status: w.status, contacts: w.records, objects: w.objects, bytes: w.bytes, pages: w.pages })),
    );
    console.log(`${summary.hoursArchived} hours, ${summary.contacts} contacts, ${summary.objects} objects, ${summary.bytes} bytes.\n`);

    const keys = await s3.listKeys('kore-qa/contacts/');
    for (const key of keys) {
      const file = join(workDir, key);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, await s3.getObject(key));
    }
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
    await Promise.allSettled([sim.close(), s3.close(), secrets.close()]);
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
