import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { PLAN_DEFAULTS } from '../functions/lib/ledger/planner';
import { ENV, loadConfig, parseHour } from '../functions/lib/config';
import { ConfigError } from '../functions/lib/errors';
import { utcDate } from '../functions/lib/archive/layout';

/** The CDK context key that holds the whole configuration (see `cdk.json`). */
export const CONTEXT_KEY = 'kore-qa-archive';

/** CloudWatch Logs retention periods the service accepts, in days. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Athena refuses a per-query scan cutoff below 10 MB. */
const MIN_SCAN_CUTOFF_MB = 10;

/** S3 lifecycle: objects must be 30 days old before they may move to Standard-IA. */
const MIN_DAYS_BEFORE_IA = 30;

/** Largest refresh lag, in hours (31 days); the function enforces the same bound. */
const MAX_REFRESH_LAG_HOURS = 24 * 31;

/** Default refresh lags: re-archive each hour once more a day later. */
const DEFAULT_REFRESH_LAG_HOURS: readonly number[] = PLAN_DEFAULTS.refreshLagHours;

/** Lifecycle of the archive bucket, in days. */
export interface LifecycleConfig {
  /** Data objects move from Standard to Standard-IA after this many days (at least 30). */
  readonly infrequentAccessAfterDays: number;
  /** Data objects move on to Glacier Instant Retrieval after this many days (at least 30 after IA). */
  readonly glacierIrAfterDays: number;
  /** Overwritten or deleted object versions are removed after this many days. */
  readonly noncurrentVersionExpirationDays: number;
  /** Leftovers of crashed runs under `{prefix}/_staging/` are removed after this many days. */
  readonly stagingExpirationDays: number;
  /** Athena query results under `{prefix}/_athena-results/` are removed after this many days. */
  readonly athenaResultsExpirationDays: number;
}

/** How data at rest is encrypted: SSE-S3 (default), a key this stack creates, or an existing key. */
export type EncryptionConfig =
  | { readonly kind: 's3-managed' }
  | { readonly kind: 'kms-created' }
  | { readonly kind: 'kms-imported'; readonly keyArn: string };

/** Validated, frozen configuration of the stack, parsed from the `kore-qa-archive` CDK context. */
export interface ArchiveInfraConfig {
  readonly streamIds: readonly string[];
  /** Minute past each hour at which the schedule fires, 0-59. */
  readonly scheduleMinute: number;
  /**
   * What the hourly schedule starts: the drain state machine (default; one drain per account at a time, running
   * until nothing is due) or the sync function directly (one invocation an hour, as before the drain existed).
   */
  readonly scheduleTarget: 'drain' | 'function';
  /** Graceful limit on one drain execution, in hours (four 15-minute invocations an hour); default 24. */
  readonly drainMaxHours: number;
  readonly pageSize: number;
  readonly rateLimitRpm: number;
  /**
   * Scheduled runs also re-archive the hour that lies each of these many hours before the hour they
   * archive, so contacts, evaluations and audits that reach the Kore API late replace the early snapshot.
   * Whole hours from 1 to 744, each at most once; empty = no refresh. Default `[3, 24, 168]` (the ledger's tiers).
   */
  readonly refreshLagHours: readonly number[];
  /**
   * First hour to archive for a stream with no history yet, as given (e.g. `2026-01-01T00`). Undefined (the
   * default) = the hour before the first run: a first deploy never implies a catch-up of months; history
   * comes by backfill.
   */
  readonly archiveStart: string | undefined;
  /** `YYYY-MM-DD` of {@link archiveStart}: the first day of the partition projection (undefined: relative). */
  readonly archiveStartDate: string | undefined;
  /** Key prefix of everything the stack and the function write in the bucket. */
  readonly prefix: string;
  readonly logRetentionDays: number;
  readonly lifecycle: LifecycleConfig;
  readonly alarmEmail: string | undefined;
  /** Alarm when the archive is this many hours behind. */
  readonly alarmHoursBehind: number;
  /**
   * The sync function's reserved concurrency, or undefined for none (the default). Not what keeps runs apart (the
   * ledger's per-stream lease does), and a reservation fails `cdk deploy` in accounts with a concurrency quota of 10.
   */
  readonly reservedConcurrency: number | undefined;
  readonly existingBucketName: string | undefined;
  readonly existingSecretArn: string | undefined;
  readonly encryption: EncryptionConfig;
  readonly athenaBytesScannedCutoffMb: number;
  readonly glueDatabaseName: string;
  readonly glueTableName: string;
  readonly athenaWorkGroupName: string;
  /**
   * The function's environment from context, keyed by {@link ENV} names (bucket, prefix and secret are
   * bound separately, with their grants). Only settings present in context appear; the rest take the
   * function's defaults.
   */
  readonly functionSettings: Readonly<Record<string, string>>;
}

const msg = {
  int: (min: number, max: number) => `must be an integer from ${min} to ${max}`,
};

function intIn(min: number, max: number) {
  const error = msg.int(min, max);
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** Null in cdk.json means "not set", the same as leaving the key out. */
function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((v) => v ?? undefined);
}

// Checked here for shape only; the rules the function itself enforces (stream id alphabet, prefix
// syntax, ranges) are checked by running the function's own loadConfig over the environment we build,
// so the stack can never deploy a value the function would refuse.
const streamIdsSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
  z
    .array(z.string({ error: 'must list stream ids as strings' }), {
      error: 'must be a list of stream ids (or one comma-separated string)',
    })
    .min(1, { error: 'must list at least one stream id' }),
);

const refreshLagError = `must be a list of whole hours from 1 to ${MAX_REFRESH_LAG_HOURS}, e.g. [24] ([] turns refreshing off)`;

function isRefreshLag(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_REFRESH_LAG_HOURS;
}

// Checked as a whole (not element by element), so every problem names the key itself. A single number
// or a comma-separated string is accepted too, as `-c kore-qa-archive.refreshLagHours=24,48` gives.
const refreshLagHoursSchema = z.preprocess(
  (v) => {
    if (v === null) return undefined;
    if (typeof v === 'number') return [v];
    if (typeof v !== 'string') return v;
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  },
  z
    .array(z.unknown(), { error: refreshLagError })
    .optional()
    .transform((hours, ctx) => {
      if (hours === undefined) return [...DEFAULT_REFRESH_LAG_HOURS];
      const lags = hours.filter(isRefreshLag);
      if (lags.length !== hours.length) {
        ctx.issues.push({ code: 'custom', message: refreshLagError, input: hours });
        return z.NEVER;
      }
      if (new Set(lags).size !== lags.length) {
        ctx.issues.push({ code: 'custom', message: 'lists an hour twice', input: hours });
        return z.NEVER;
      }
      return lags;
    }),
);

const lifecycleSchema = z
  .object({
    infrequentAccessAfterDays: intIn(MIN_DAYS_BEFORE_IA, 36_500).default(30),
    glacierIrAfterDays: intIn(1, 36_500).default(180),
    noncurrentVersionExpirationDays: intIn(1, 36_500).default(30),
    stagingExpirationDays: intIn(1, 7).default(1),
    athenaResultsExpirationDays: intIn(1, 36_500).default(30),
  })
  .strict()
  .refine((l) => l.glacierIrAfterDays >= l.infrequentAccessAfterDays + MIN_DAYS_BEFORE_IA, {
    error: `must be at least ${MIN_DAYS_BEFORE_IA} days more than infrequentAccessAfterDays (the Standard-IA minimum storage duration)`,
    path: ['glacierIrAfterDays'],
  });

const rawSchema = z
  .object({
    streamIds: streamIdsSchema,
    scheduleMinute: intIn(0, 59).default(5),
    scheduleTarget: z.enum(['drain', 'function'], { error: 'must be "drain" or "function"' }).default('drain'),
    drainMaxHours: intIn(1, 24 * 7).default(24),
    refreshLagHours: refreshLagHoursSchema,
    pageSize: intIn(1, 1000).default(100),
    rateLimitRpm: intIn(1, 6000).default(60),
    archiveStart: optional(z.string({ error: 'must be an hour in UTC like 2026-01-01T00, or null' })),
    prefix: z.string({ error: 'must be a string such as "kore-qa"' }).default('kore-qa'),
    logRetentionDays: z
      .int({ error: `must be one of ${LOG_RETENTION_DAYS.join(', ')}` })
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        error: `must be one of ${LOG_RETENTION_DAYS.join(', ')} (the periods CloudWatch Logs accepts)`,
      })
      .default(90),
    lifecycle: lifecycleSchema.default({
      infrequentAccessAfterDays: 30,
      glacierIrAfterDays: 180,
      noncurrentVersionExpirationDays: 30,
      stagingExpirationDays: 1,
      athenaResultsExpirationDays: 30,
    }),
    alarmEmail: optional(z.email({ error: 'must be an e-mail address, or null for no subscription' })),
    alarmHoursBehind: intIn(2, 24 * 31).default(3),
    reservedConcurrency: optional(intIn(1, 1000)),
    existingBucketName: optional(
      z.string().regex(/^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
        error: 'must be an S3 bucket name (3-63 lower-case letters, digits, "." and "-"), or null to create one',
      }),
    ),
    existingSecretArn: optional(
      z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/, {
        error:
          'must be the complete ARN of a Secrets Manager secret (ending in the 6-character suffix, as shown by `aws secretsmanager describe-secret`), or null to create one',
      }),
    ),
    kmsKeyArn: optional(
      z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, {
        error: 'must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), or null',
      }),
    ),
    createKmsKey: z.boolean({ error: 'must be true or false' }).default(false),
    athenaBytesScannedCutoffMb: intIn(MIN_SCAN_CUTOFF_MB, 1024 * 1024 * 1024).default(10_240),
    glueDatabaseName: z
      .string()
      .regex(/^[a-z0-9_]{1,255}$/, { error: 'must be lower-case letters, digits and "_" (a Glue database name)' })
      .default('kore_qa_archive'),
    glueTableName: z
      .string()
      .regex(/^[a-z0-9_]{1,255}$/, { error: 'must be lower-case letters, digits and "_" (a Glue table name)' })
      .default('contacts'),
    athenaWorkGroupName: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, { error: 'must be 1-128 letters, digits, ".", "_" or "-" (an Athena workgroup name)' })
      .default('kore-qa-archive'),
    // Function settings that only have to reach its environment; absent = the function's default.
    pagingMode: optional(z.enum(['page', 'offset'], { error: 'must be "page" or "offset"' })),
    includeBelowThreshold: optional(z.boolean({ error: 'must be true or false' })),
    contactDirection: optional(z.enum(['inbound', 'outbound'], { error: 'must be "inbound", "outbound" or null' })),
    requestTimeoutMs: optional(z.int({ error: 'must be an integer number of milliseconds' })),
    maxAttempts: optional(z.int({ error: 'must be an integer' })),
    requestsInFlight: optional(z.int({ error: 'must be an integer' })),
    maxCatchUpHours: optional(z.int({ error: 'must be an integer' })),
    // Shape only here; the function's own parser checks the columns and keys (see checkAgainstFunction).
    columnAliases: optional(
      z.record(z.string(), z.union([z.string(), z.array(z.string())]), {
        error: 'must be an object of column (or column.field) to source keys, e.g. {"audit_status": ["Audit State"]}',
      }),
    ),
  })
  .strict()
  .refine((c) => !(c.createKmsKey && c.kmsKeyArn !== undefined), {
    error: 'set either kmsKeyArn or createKmsKey, not both',
    path: ['createKmsKey'],
  });

type RawConfig = z.output<typeof rawSchema>;

/** Context keys that go straight into the function's environment, with their variable. */
const FUNCTION_SETTINGS = {
  streamIds: ENV.streamIds,
  pageSize: ENV.pageSize,
  rateLimitRpm: ENV.rateLimitRpm,
  archiveStart: ENV.archiveStart,
  pagingMode: ENV.pagingMode,
  includeBelowThreshold: ENV.includeBelowThreshold,
  contactDirection: ENV.contactDirection,
  requestTimeoutMs: ENV.requestTimeoutMs,
  maxAttempts: ENV.maxAttempts,
  requestsInFlight: ENV.requestsInFlight,
  maxCatchUpHours: ENV.maxCatchUpHours,
  refreshLagHours: ENV.refreshLagHours,
  columnAliases: ENV.columnAliases,
} as const satisfies Partial<Record<keyof RawConfig, string>>;

/** Which context key feeds each variable, to name the key when the function's own check refuses a value. */
const KEY_OF_VARIABLE: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(FUNCTION_SETTINGS).map(([key, variable]) => [variable, key])),
  [ENV.prefix]: 'prefix',
};

function keyName(path: readonly PropertyKey[]): string {
  return [CONTEXT_KEY, ...path.map(String)].join('.');
}

function fromZod(error: z.ZodError): ConfigError {
  const problems = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { key: keyName(issue.path), problem: `has unknown key(s) ${issue.keys.join(', ')} (check the spelling against cdk.json)` };
    }
    // A missing required key reaches here as a type error on `undefined`.
    return { key: keyName(issue.path), problem: issue.message };
  });
  const [first, ...rest] = problems as [(typeof problems)[number], ...typeof problems];
  const more = rest.map((p) => `; ${p.key}: ${p.problem}`).join('');
  return new ConfigError(first.key, `${first.problem}${more}`, { cause: error });
}

function environmentOf(raw: RawConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, variable] of Object.entries(FUNCTION_SETTINGS) as [keyof typeof FUNCTION_SETTINGS, string][]) {
    const value = raw[key];
    // An empty refresh list is "off", which the function spells `none` (unset means its default tiers).
    if (key === 'refreshLagHours' && Array.isArray(value) && value.length === 0) {
      env[variable] = 'none';
      continue;
    }
    if (value === undefined || (typeof value === 'object' && Object.keys(value).length === 0)) continue;
    env[variable] = Array.isArray(value) ? value.join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return env;
}

/** Runs the function's own configuration check over the environment the stack will set. */
function checkAgainstFunction(raw: RawConfig, settings: Record<string, string>): void {
  try {
    loadConfig({
      ...settings,
      [ENV.prefix]: raw.prefix,
      // Stand-ins: the real values are CloudFormation references, unknown until deployment.
      [ENV.bucket]: 'bucket-resolved-at-deploy',
      [ENV.secretId]: 'secret-resolved-at-deploy',
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      const key = KEY_OF_VARIABLE[error.variable] ?? error.variable;
      const problem = error.message.slice(error.variable.length + 2);
      throw new ConfigError(keyName([key]), problem, { cause: error });
    }
    throw error;
  }
}

/** Parses a context value given on the command line (`-c key=value` always yields a string). */
function cliValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = target[head];
  const next = typeof child === 'object' && child !== null && !Array.isArray(child) ? { ...(child as Record<string, unknown>) } : {};
  target[head] = next;
  setPath(next, rest, value);
}

/**
 * Validates a raw configuration object (the value of the `kore-qa-archive` context key) and applies
 * overrides given as dotted keys (`kore-qa-archive.scheduleMinute` → `7`).
 *
 * @param raw the context value: an object, or a JSON string of one (as `-c kore-qa-archive='{...}'` gives)
 * @param overrides all context entries; those named `kore-qa-archive.<path>` replace the value at `<path>`
 * @throws {ConfigError} naming the context key (e.g. `kore-qa-archive.scheduleMinute`) and the problem
 */
export function parseInfraConfig(raw: unknown, overrides: Readonly<Record<string, unknown>> = {}): ArchiveInfraConfig {
  const base = cliValue(raw);
  if (base === undefined || base === null) {
    throw new ConfigError(CONTEXT_KEY, 'is missing from the CDK context: copy the example from cdk.json, or pass -c kore-qa-archive=\'{...}\'');
  }
  if (typeof base !== 'object' || Array.isArray(base)) {
    throw new ConfigError(CONTEXT_KEY, 'must be an object (or a JSON string of one)');
  }
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (!key.startsWith(`${CONTEXT_KEY}.`)) continue;
    const path = key.slice(CONTEXT_KEY.length + 1).split('.');
    if (path.some((p) => p === '')) throw new ConfigError(key, 'is not a valid override key');
    setPath(merged, path, cliValue(value));
  }

  const parsed = rawSchema.safeParse(merged);
  if (!parsed.success) throw fromZod(parsed.error);
  const c = parsed.data;

  const start = c.archiveStart === undefined ? undefined : parseHour(c.archiveStart);
  if (c.archiveStart !== undefined && start === undefined) {
    throw new ConfigError(keyName(['archiveStart']), 'must be an hour in UTC like 2026-01-01T00, or null');
  }
  const settings = environmentOf(c);
  checkAgainstFunction(c, settings);

  const encryption: EncryptionConfig =
    c.kmsKeyArn !== undefined
      ? { kind: 'kms-imported', keyArn: c.kmsKeyArn }
      : c.createKmsKey
        ? { kind: 'kms-created' }
        : { kind: 's3-managed' };

  return Object.freeze({
    streamIds: Object.freeze([...c.streamIds]),
    scheduleMinute: c.scheduleMinute,
    scheduleTarget: c.scheduleTarget,
    drainMaxHours: c.drainMaxHours,
    refreshLagHours: Object.freeze([...c.refreshLagHours]),
    pageSize: c.pageSize,
    rateLimitRpm: c.rateLimitRpm,
    archiveStart: c.archiveStart,
    archiveStartDate: start === undefined ? undefined : utcDate(start),
    prefix: c.prefix,
    logRetentionDays: c.logRetentionDays,
    lifecycle: Object.freeze({ ...c.lifecycle }),
    alarmEmail: c.alarmEmail,
    alarmHoursBehind: c.alarmHoursBehind,
    reservedConcurrency: c.reservedConcurrency,
    existingBucketName: c.existingBucketName,
    existingSecretArn: c.existingSecretArn,
    encryption: Object.freeze(encryption),
    athenaBytesScannedCutoffMb: c.athenaBytesScannedCutoffMb,
    glueDatabaseName: c.glueDatabaseName,
    glueTableName: c.glueTableName,
    athenaWorkGroupName: c.athenaWorkGroupName,
    functionSettings: Object.freeze(settings),
  });
}

/**
 * Reads and validates the configuration from a construct's CDK context (cdk.json, `cdk.context.json`
 * and `-c` flags).
 *
 * @throws {ConfigError} naming the context key and the problem
 */
export function loadInfraConfig(scope: IConstruct): ArchiveInfraConfig {
  return parseInfraConfig(scope.node.tryGetContext(CONTEXT_KEY), scope.node.getAllContext());
}
