import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CheckpointStore } from './archive/checkpoint-store';
import { S3ManifestReader } from './archive/manifest-store';
import { planPolicy, s3Leases, s3Ledger } from './ledger';
import type { ContactSource } from './types';
import { ArchiveError, EventValidationError } from './errors';
import type { ReprocessRequest } from './sync/events';
import { pruneHours, reprocessHours, type ReprocessOutcome } from './sync/reprocess';
import { formatHour } from './sync/windows';
import { createNormalizer } from './archive/normalize';
import { S3StateStore } from './archive/state';
import { ArchiveWriter } from './archive/writer';
import { createS3Client } from './aws/s3-client';
import { secretsManagerReader, type SecretReader } from './aws/secrets';
import type { SyncConfig } from './config';
import { clientOptionsOf, KoreClient } from './kore/client';
import { parseKoreSecret } from './kore/secret';
import { METRICS } from './metric-names';
import { backlogOf, HISTORY_ADVICE } from './sync/backlog';
import type { SyncRequest } from './sync/events';
import { runSync, type LogSink, type MetricSink, type SyncSummary, type WindowOutcome } from './sync/sync';

/** Per-invocation inputs. */
export interface RunOptions {
  /** Milliseconds left before the invocation is cut off. */
  readonly remainingMs: () => number;
  readonly onWindow?: (outcome: WindowOutcome) => void;
  /** Called for each page of contacts received (progress display inside an hour). */
  readonly onPage?: (page: { readonly streamId: string; readonly records: number }) => void;
  /** Called before each retry of an API request. */
  readonly onRetry?: (retry: { readonly reason: string; readonly attempt: number; readonly delayMs: number }) => void;
}

/** Long-lived clients, built once per process (Lambda cold start or CLI start). */
export interface Runtime {
  readonly config: SyncConfig;
  readonly logger: Logger;
  run(request: SyncRequest, options: RunOptions): Promise<SyncSummary>;
  /** Rebuilds archived hours from `raw` (no API request) until the invocation's time is nearly up. */
  reprocess(request: ReprocessRequest, options: Pick<RunOptions, 'remainingMs'> & { onHour?: (o: ReprocessOutcome) => void }): Promise<ReprocessSummary>;
}

/** The result of a reprocess or prune run. */
export interface ReprocessSummary {
  readonly kind: 'reprocess' | 'prune';
  readonly runId: string;
  readonly rebuilt: number;
  readonly skipped: number;
  readonly failed: number;
  /** Hours (`2026-11-20T10`) not started for lack of time: send them again. */
  readonly remainingHours: readonly string[];
  readonly workRemains: boolean;
  readonly hours: readonly ReprocessOutcome[];
}

/** Time a rebuild of one hour may take at most (an S3 read and write of one object), kept in reserve. */
const REPROCESS_MARGIN_MS = 60_000;

/** Optional overrides, for the CLI and tests. */
export interface RuntimeOverrides {
  readonly logger?: Logger;
  /** Where metrics go; default Powertools EMF (Lambda). The CLI passes {@link silentMetrics}. */
  readonly metrics?: MetricsPort;
  readonly s3?: S3Client;
  readonly readSecret?: SecretReader;
}

/** A metric sink that can be flushed at the end of a run. */
export interface MetricsPort extends MetricSink {
  publish(): void;
}

/** Powertools Metrics (CloudWatch EMF through the function's log), with the `service` dimension. */
export function powertoolsMetrics(): MetricsPort {
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service });
  return {
    count: (name, value) => void metrics.addMetric(name, MetricUnit.Count, value),
    bytes: (name, value) => void metrics.addMetric(name, MetricUnit.Bytes, value),
    publish: () => metrics.publishStoredMetrics(),
  };
}

/** Discards metrics: outside Lambda nobody collects EMF. */
export const silentMetrics: MetricsPort = { count: () => {}, bytes: () => {}, publish: () => {} };

/** The source of a run that must not fetch (a backfill only marks hours due). */
const NO_SOURCE: ContactSource = {
  fetchWindow: () => {
    throw new ArchiveError('a backfill run fetches nothing');
  },
};

function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z-${randomUUID().slice(0, 8)}`;
}

function logSink(logger: Logger): LogSink {
  return {
    info: (message, extra) => logger.info(message, { ...extra }),
    warn: (message, extra) => logger.warn(message, { ...extra }),
    error: (message, extra) => logger.error(message, { ...extra }),
  };
}

/** Says, in the run's log, how far behind a scheduled run left each stream and how history will arrive. */
function logBacklog(summary: SyncSummary, logger: Logger): SyncSummary {
  const streams = backlogOf(summary);
  if (streams.length > 0) {
    logger.warn('the archive is behind; the next runs (the drain) catch up at the API budget, newest gaps first', {
      streams,
      advice: HISTORY_ADVICE,
    });
  }
  return summary;
}

/**
 * Wires configuration to real clients. Each run reads the secret afresh (so a rotated secret is picked up) and
 * mints a fresh token; the S3 and Secrets Manager clients are reused across warm invocations.
 */
export function createRuntime(config: SyncConfig, overrides: RuntimeOverrides = {}): Runtime {
  const logger = overrides.logger ?? new Logger({ serviceName: METRICS.service });
  const metrics = overrides.metrics ?? powertoolsMetrics();
  const s3 = overrides.s3 ?? createS3Client({ endpoint: config.s3Endpoint });
  const readSecret = overrides.readSecret ?? secretsManagerReader(new SecretsManagerClient({}));
  const writer = new ArchiveWriter({
    s3,
    bucket: config.bucket,
    prefix: config.prefix,
    logger: logSink(logger),
  });
  const normalizer = createNormalizer({ aliases: config.columnAliases });
  const state = new S3StateStore({ s3, bucket: config.bucket, prefix: config.prefix });
  const manifests = new S3ManifestReader({ s3, bucket: config.bucket, prefix: config.prefix });
  const ledger = s3Ledger({ s3, bucket: config.bucket, prefix: config.prefix });
  const checkpoints = new CheckpointStore({ s3, bucket: config.bucket, prefix: config.prefix });
  const leases = s3Leases({ s3, bucket: config.bucket, prefix: config.prefix, durationMs: config.leaseDurationMs });

  return {
    config,
    logger,
    async reprocess(request, options) {
      const runId = newRunId();
      const unknown = (request.streams ?? []).filter((s) => !config.streamIds.includes(s));
      if (unknown.length > 0) throw new EventValidationError(`stream ${unknown[0]} is not in KORE_STREAM_IDS; only configured streams are archived`);
      const streams = request.streams ?? config.streamIds;
      const deps = {
        writer,
        manifests,
        normalizer,
        s3,
        bucket: config.bucket,
        prefix: config.prefix,
        runId,
        now: () => new Date(),
        log: logSink(logger),
        onHour: options.onHour,
      };
      const outcomes: ReprocessOutcome[] = [];
      const remaining: string[] = [];
      for (const hour of request.hours) {
        if (options.remainingMs() < REPROCESS_MARGIN_MS) {
          remaining.push(formatHour(hour));
          continue;
        }
        outcomes.push(
          ...(request.kind === 'prune'
            ? await pruneHours(streams, [hour], new Set(request.conversationIds), deps)
            : await reprocessHours(streams, [hour], deps)),
        );
      }
      const summary: ReprocessSummary = {
        kind: request.kind,
        runId,
        rebuilt: outcomes.filter((o) => o.status === 'rebuilt').length,
        skipped: outcomes.filter((o) => o.status === 'skipped').length,
        failed: outcomes.filter((o) => o.status === 'failed').length,
        remainingHours: remaining,
        workRemains: remaining.length > 0,
        hours: outcomes,
      };
      logger.info(`${request.kind} finished`, { runId, rebuilt: summary.rebuilt, skipped: summary.skipped, failed: summary.failed, remaining: remaining.length });
      if (summary.failed > 0) {
        const failed = outcomes.filter((o) => o.status === 'failed');
        throw new ArchiveError(`${failed.length} hours could not be rebuilt: ${failed.map((o) => `${o.streamId}@${o.hour} (${o.error ?? ''})`).join('; ')}`);
      }
      return summary;
    },
    async run(request, options) {
      const runId = newRunId();
      logger.appendKeys({ runId });
      const common = {
        writer,
        manifests,
        ledger,
        leases,
        legacyState: state,
        checkpoints,
        policy: planPolicy(config),
        rateLimitRpm: config.rateLimitRpm,
        normalize: normalizer.normalize,
        log: logSink(logger),
        metrics,
        streamIds: config.streamIds,
        runId,
        now: () => new Date(),
        remainingMs: options.remainingMs,
        onWindow: options.onWindow,
      };
      // A backfill only marks hours due in the ledger: no secret, no API.
      let client: KoreClient | undefined;
      try {
        if (request.kind !== 'backfill') {
          client = new KoreClient({
            connection: parseKoreSecret(await readSecret(config.secretId)),
            ...clientOptionsOf(config),
            observer: {
              retry: (info) => {
                metrics.count(METRICS.retries, 1);
                options.onRetry?.(info);
              },
              page: (info) => options.onPage?.(info),
            },
          });
        }
        return logBacklog(await runSync(request, { ...common, source: client ?? NO_SOURCE }), logger);
      } finally {
        await client?.close();
        metrics.publish();
        logger.removeKeys(['runId']);
      }
    },
  };
}
