/**
 * Everything the sync function talks to, on 127.0.0.1: the Kore API simulator, s3rver, and a Secrets Manager
 * endpoint holding the connection secret that points at the simulator. The demo, the benchmark and the
 * end-to-end tests all start it the same way, and run the real handler with {@link LocalStack.env}.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startKoreSimulator, type KoreSimulator, type SimulatorCredentials, type SimulatorOptions } from './kore-simulator';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from './local-s3';
import { startLocalSecrets, type LocalSecrets } from './local-secrets';

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Simulator options; the credentials are also written into the connection secret. */
  readonly simulator: SimulatorOptions;
  readonly bucket: string;
  /** Id of the connection secret. Default `kore-qa-archive/kore-connection`. */
  readonly secretId?: string;
  /** Where the local S3 keeps its objects (kept across runs). Default: a temporary folder, removed on close. */
  readonly s3Directory?: string;
  /** Fixed ports on 127.0.0.1 (the local playground's environment stays valid across restarts). Default: any free port. */
  readonly ports?: { readonly simulator?: number; readonly s3?: number; readonly secrets?: number };
}

/** The running stand-ins. */
export interface LocalStack {
  readonly sim: KoreSimulator;
  readonly s3: LocalS3;
  readonly secrets: LocalSecrets;
  readonly secretId: string;
  /**
   * The function's environment for this stack (bucket, secret, endpoints, fake AWS credentials, quiet
   * Powertools), with `extra` on top: e.g. `KORE_STREAM_IDS`, or `AWS_ENDPOINT_URL_S3` of a fault proxy.
   */
  env(extra?: Readonly<Record<string, string>>): Record<string, string>;
  /** Copies every object under `prefix` into `dir`, keeping the key layout (for DuckDB's hive partitioning). */
  download(prefix: string, dir: string): Promise<string[]>;
  close(): Promise<void>;
}

/** The connection secret's JSON for a simulator: what a user puts into Secrets Manager for a real tenant. */
export function connectionSecret(host: string, credentials: SimulatorCredentials): string {
  const { accountId, orgId, clientId, clientSecret } = credentials;
  return JSON.stringify({ host, accountId, orgId, clientId, clientSecret });
}

/** Starts the simulator, s3rver and the Secrets Manager endpoint. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const secretId = options.secretId ?? 'kore-qa-archive/kore-connection';
  const sim = await startKoreSimulator({ ...options.simulator, port: options.ports?.simulator ?? options.simulator.port });
  const s3 = await startLocalS3({ bucket: options.bucket, directory: options.s3Directory, port: options.ports?.s3 });
  const secrets = await startLocalSecrets(
    { [secretId]: connectionSecret(sim.url, options.simulator.credentials) },
    { port: options.ports?.secrets },
  );
  return {
    sim,
    s3,
    secrets,
    secretId,
    env: (extra = {}) => ({
      ARCHIVE_BUCKET: s3.bucket,
      KORE_SECRET_ID: secretId,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      // The Lambda runs Node 24; the SDK's reminder that its 2027 releases need Node 22 is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Nobody collects EMF outside Lambda; the structured logs stay on for WARN and above.
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      ...extra,
    }),
    async download(prefix, dir) {
      const keys = await s3.listKeys(prefix);
      for (const key of keys) {
        const file = join(dir, key);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, await s3.getObject(key));
      }
      return keys;
    },
    async close() {
      await Promise.allSettled([sim.close(), secrets.close()]);
      await s3.close();
    },
  };
}
