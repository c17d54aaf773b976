import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startKoreSimulator, type KoreSimulator, type SimulatorOptions } from '../../tools/kore-simulator';
import { startLocalS3, type LocalS3 } from '../../tools/local-s3';
import { startLocalSecrets, type LocalSecrets } from '../../tools/local-secrets';
import { startFaultProxy, type FaultProxy } from '../../tools/fault-proxy';

/** Credentials the simulator verifies and the secret carries. */
export const CREDENTIALS = Object.freeze({
  clientId: 'cs-test-client',
  clientSecret: 'test-client-secret-3f9d2a7c61e84b05',
  accountId: 'acc-test',
  orgId: 'o-test',
});

export const SECRET_ID = 'kore-qa-archive/test';

/** Everything an end-to-end test needs, all on 127.0.0.1: Kore simulator, s3rver behind a fault proxy, Secrets Manager. */
export interface Harness {
  readonly sim: KoreSimulator;
  readonly s3: LocalS3;
  readonly proxy: FaultProxy;
  readonly secrets: LocalSecrets;
  /** Environment for the handler / CLI (merge over process.env). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Downloads every object under `prefix` into a fresh temp folder, keeping the key layout. */
  download(prefix: string): Promise<string>;
  /** Gunzipped JSON lines of one object. */
  lines(key: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startHarness(sim: Partial<SimulatorOptions> = {}): Promise<Harness> {
  const kore = await startKoreSimulator({ credentials: CREDENTIALS, seed: 11, contactsPerHour: 30, ...sim });
  const s3 = await startLocalS3({ bucket: 'archive-test' });
  const proxy = await startFaultProxy(s3.endpoint);
  const secrets = await startLocalSecrets({
    [SECRET_ID]: JSON.stringify({ host: kore.url, accountId: CREDENTIALS.accountId, orgId: CREDENTIALS.orgId, clientId: CREDENTIALS.clientId, clientSecret: CREDENTIALS.clientSecret }),
  });
  const dirs: string[] = [];
  return {
    sim: kore,
    s3,
    proxy,
    secrets,
    env: (extra = {}) => ({
      ARCHIVE_BUCKET: s3.bucket,
      KORE_SECRET_ID: SECRET_ID,
      KORE_STREAM_IDS: 'st-alpha,st-beta',
      KORE_PAGE_SIZE: '7',
      KORE_RATE_LIMIT_RPM: '6000',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      POWERTOOLS_METRICS_DISABLED: 'true',
      // Keeps test output readable; the leak test turns logging up to DEBUG and reads every line.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...extra,
    }),
    async download(prefix) {
      const dir = await mkdtemp(join(tmpdir(), 'kqa-e2e-'));
      dirs.push(dir);
      for (const key of await s3.listKeys(prefix)) {
        const file = join(dir, key);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, await s3.getObject(key));
      }
      return dir;
    },
    async lines(key) {
      const text = gunzipSync(await s3.getObject(key)).toString('utf8');
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async close() {
      await Promise.allSettled([kore.close(), proxy.close(), secrets.close()]);
      await s3.close();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

export { lambdaContext, scheduledEvent } from '../../tools/lambda';
