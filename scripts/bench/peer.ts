/**
 * The straightforward peer, a child of the benchmark, bundled with the function's own esbuild settings: what a
 * first implementation would do with the same client and the same normalizer. Fetch every page of the hour in
 * sequence, keep every row in memory, gzip the whole hour at once and write it with one PutObject (under the
 * `peer/` prefix, so the same verification reads it). No state, no manifest, no multipart upload.
 *
 * Argument: the hour, e.g. `2026-11-20T10`. Configuration: the function's environment variables.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { partitionPrefix, partName } from '../../functions/lib/archive/layout';
import { normalizeContact } from '../../functions/lib/archive/normalize';
import { createS3Client } from '../../functions/lib/aws/s3-client';
import { secretsManagerReader } from '../../functions/lib/aws/secrets';
import { loadConfig, parseHour } from '../../functions/lib/config';
import { clientOptionsOf, KoreClient } from '../../functions/lib/kore/client';
import { parseKoreSecret } from '../../functions/lib/kore/secret';
import { HOUR_MS } from '../../functions/lib/sync/windows';
import { childMain, cpuMsSince, peakRssMb } from './child';
import { PEER_PREFIX } from './context';

/** What the peer reports. */
export interface PeerReport {
  readonly contacts: number;
  readonly bytes: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
}

async function main(): Promise<PeerReport> {
  const start = parseHour(process.argv[2] ?? '');
  if (start === undefined) throw new Error('usage: peer.mjs HOUR (e.g. 2026-11-20T10)');
  const config = loadConfig(process.env);
  const streamId = config.streamIds[0] as string;
  const window = { start, end: new Date(start.getTime() + HOUR_MS) };

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const connection = parseKoreSecret(await secretsManagerReader(new SecretsManagerClient({}))(config.secretId));
  // Sequential, as the straightforward peer is: one request at a time.
  const client = new KoreClient({ connection, ...clientOptionsOf(config), requestsInFlight: 1 });
  const ctx = { streamId, window, runId: `peer-${randomUUID().slice(0, 8)}`, archivedAt: new Date() };
  const lines: string[] = [];
  try {
    for await (const page of client.fetchWindow(streamId, window)) {
      for (const record of page.records) lines.push(JSON.stringify(normalizeContact(record, ctx).row));
    }
  } finally {
    await client.close();
  }
  const body = gzipSync(`${lines.join('\n')}\n`);
  const s3 = createS3Client({ endpoint: config.s3Endpoint });
  const key = `${partitionPrefix(PEER_PREFIX, streamId, start)}${partName(0)}`;
  await s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: body, ContentType: 'application/gzip' }));
  s3.destroy();
  return { contacts: lines.length, bytes: body.length, wallMs: Math.round(performance.now() - t0), cpuMs: cpuMsSince(cpu0), peakRssMb: peakRssMb().mb };
}

childMain(main);
