import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadInfraConfig, type ArchiveInfraConfig } from './config';
import { KoreQaArchiveStack } from './stack';

/** Name of the CloudFormation stack. */
export const STACK_NAME = 'KoreQaArchive';

/** Options of {@link buildApp}; the CDK CLI passes everything through the environment instead. */
export interface BuildAppOptions {
  /** CDK context (feature flags and the `kore-qa-archive` configuration), as in cdk.json. */
  readonly context?: Record<string, unknown>;
  /** Cloud assembly directory. */
  readonly outdir?: string;
}

/** The app with its one stack, ready to synthesize. */
export interface ArchiveApp {
  readonly app: App;
  readonly stack: KoreQaArchiveStack;
  readonly config: ArchiveInfraConfig;
}

/**
 * Builds the CDK app: validates the configuration from context, adds the stack and registers the cdk-nag
 * AWS Solutions checks, so synthesis fails on any unacknowledged error finding.
 *
 * @throws {ConfigError} naming the context key, when the configuration is invalid
 */
export function buildApp(options: BuildAppOptions = {}): ArchiveApp {
  const app = new App({ context: options.context, outdir: options.outdir });
  // Acknowledgements are also written into the template metadata, as an audit trail next to each resource.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  const config = loadInfraConfig(app);
  const stack = new KoreQaArchiveStack(app, STACK_NAME, {
    config,
    description: 'kore-qa-archive: hourly archive of Kore.ai Quality AI contacts to S3, queryable in Athena',
  });
  // Lets the bill be filtered by project (activate the tag as a cost allocation tag once).
  Tags.of(stack).add('project', 'kore-qa-archive');
  return { app, stack, config };
}
