import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { KoreSimulator, SimulatorOptions } from '../../tools/kore-simulator';
import type { LocalS3 } from '../../tools/local-s3';
import type { LocalSecrets } from '../../tools/local-secrets';
import { startFaultProxy, type FaultProxy } from '../../tools/fault-proxy';
import { startLocalStack } from '../../tools/local-stack';

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
  const stack = await startLocalStack({
    simulator: { credentials: CREDENTIALS, seed: 11, contactsPerHour: 30, ...sim },
    bucket: 'archive-test',
    secretId: SECRET_ID,
  });
  const proxy = await startFaultProxy(stack.s3.endpoint);
  const dirs: string[] = [];
  return {
    sim: stack.sim,
    s3: stack.s3,
    proxy,
    secrets: stack.secrets,
    env: (extra = {}) =>
      stack.env({
        KORE_STREAM_IDS: 'st-alpha,st-beta',
        KORE_PAGE_SIZE: '7',
        KORE_RATE_LIMIT_RPM: '6000',
        // S3 traffic goes through the fault proxy, so tests can fail chosen requests.
        AWS_ENDPOINT_URL_S3: proxy.endpoint,
        // Keeps test output readable; the leak test turns logging up to DEBUG and reads every line.
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        ...extra,
      }),
    async download(prefix) {
      const dir = await mkdtemp(join(tmpdir(), 'kqa-e2e-'));
      dirs.push(dir);
      await stack.download(prefix, dir);
      return dir;
    },
    async lines(key) {
      const text = gunzipSync(await stack.s3.getObject(key)).toString('utf8');
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async close() {
      await proxy.close();
      await stack.close();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

export { lambdaContext, scheduledEvent } from '../../tools/lambda';
