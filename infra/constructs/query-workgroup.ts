import { aws_athena as athena } from 'aws-cdk-lib';
import type { aws_kms as kms, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LAYOUT } from '../../functions/lib/archive/layout';
import type { NamedQueryDef } from '../named-queries';

/** Properties of {@link QueryWorkgroup}. */
export interface QueryWorkgroupProps {
  readonly name: string;
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  /** Encrypt results with this key (SSE-KMS); SSE-S3 otherwise. */
  readonly encryptionKey?: kms.IKey;
  /** Queries scanning more than this are cancelled. */
  readonly bytesScannedCutoffPerQuery: number;
  readonly databaseName: string;
  readonly queries: readonly NamedQueryDef[];
}

/**
 * An Athena workgroup for the archive: engine v3, results encrypted under `{prefix}/_athena-results/` of
 * the archive bucket (enforced, so clients cannot send results elsewhere or unencrypted), a per-query scan
 * limit against runaway costs, CloudWatch metrics, and the saved queries.
 */
export class QueryWorkgroup extends Construct {
  readonly workgroup: athena.CfnWorkGroup;
  readonly namedQueries: readonly athena.CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: QueryWorkgroupProps) {
    super(scope, id);
    this.workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.name,
      description: 'Queries over the kore-qa-archive contacts table',
      state: 'ENABLED',
      // Deleting the stack removes the workgroup with its saved queries and history (results stay in S3).
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${props.prefix}/${LAYOUT.athenaResults}/`,
          encryptionConfiguration: props.encryptionKey
            ? { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn }
            : { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.namedQueries = props.queries.map((query) => {
      // Id from the name, so reordering the list does not replace the saved queries.
      const named = new athena.CfnNamedQuery(this, `Query${query.name.replace(/[^A-Za-z0-9]/g, '')}`, {
        name: query.name,
        description: query.description,
        database: props.databaseName,
        queryString: query.sql,
        workGroup: this.workgroup.ref,
      });
      named.addResourceDependency(this.workgroup);
      return named;
    });
  }
}
