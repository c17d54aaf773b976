import { Stack, aws_glue as glue } from 'aws-cdk-lib';
import type { aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { contactsRoot } from '../../functions/lib/archive/layout';
import { COLUMNS, PARTITION_KEYS, type ColumnDef } from '../../functions/lib/archive/schema';
import { ArchiveError } from '../../functions/lib/errors';

/** The Hive JSON SerDe and text formats: one JSON object per line; `.gz` objects are decompressed on read. */
export const TABLE_FORMAT = Object.freeze({
  serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe',
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
});

/** Glue limits a column comment to 255 characters. */
const MAX_COMMENT = 255;

/** Properties of {@link ArchiveTable}. */
export interface ArchiveTableProps {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly databaseName: string;
  readonly tableName: string;
  /** Values of the `stream_id` partition key. */
  readonly streamIds: readonly string[];
  /**
   * First `dt` partition (`YYYY-MM-DD`); projection runs from here to today. Undefined (no archiveStart):
   * {@link PROJECTION_FALLBACK_START} (five years back), so backfilled history is visible too.
   */
  readonly firstDate: string | undefined;
}

/** Start of the `dt` projection when no archiveStart is configured: history arrives by backfill, up to this old. */
export const PROJECTION_FALLBACK_START = 'NOW-5YEARS';

function glueColumn(column: ColumnDef): glue.CfnTable.ColumnProperty {
  return { name: column.name, type: column.type, comment: column.comment.slice(0, MAX_COMMENT) };
}

/**
 * Partition projection settings per partition key. Keyed by name so that a partition key added to the
 * schema without a projection rule fails synthesis instead of producing a table Athena cannot prune.
 */
function projectionOf(key: string, props: ArchiveTableProps): Record<string, string> {
  switch (key) {
    case 'stream_id':
      return { 'projection.stream_id.type': 'enum', 'projection.stream_id.values': props.streamIds.join(',') };
    case 'dt':
      return {
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': `${props.firstDate ?? PROJECTION_FALLBACK_START},NOW`,
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
      };
    case 'hour':
      return { 'projection.hour.type': 'integer', 'projection.hour.range': '0,23', 'projection.hour.digits': '2' };
    default:
      throw new ArchiveError(`partition key "${key}" has no partition projection rule in infra/constructs/archive-table.ts`);
  }
}

/**
 * The Glue database and the external `contacts` table over `s3://bucket/{prefix}/contacts/`. Columns and
 * partition keys are generated from the schema module (never written by hand here), and partition
 * projection computes every `stream_id=/dt=/hour=` folder from configuration, so no crawler and no
 * `MSCK REPAIR TABLE` is ever needed: a new hour is queryable as soon as it is published.
 */
export class ArchiveTable extends Construct {
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly databaseName: string;
  readonly tableName: string;

  constructor(scope: Construct, id: string, props: ArchiveTableProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.databaseName = props.databaseName;
    this.tableName = props.tableName;
    const root = `s3://${props.bucket.bucketName}/${contactsRoot(props.prefix)}`;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId,
      databaseInput: {
        name: props.databaseName,
        description: 'Kore.ai Quality AI contacts archived hourly by kore-qa-archive',
      },
    });

    const projection = Object.assign({}, ...PARTITION_KEYS.map((k) => projectionOf(k.name, props))) as Record<string, string>;
    const partitionPath = PARTITION_KEYS.map((k) => `${k.name}=\${${k.name}}`).join('/');

    this.table = new glue.CfnTable(this, 'Table', {
      catalogId,
      databaseName: props.databaseName,
      tableInput: {
        name: props.tableName,
        description: 'One row per archived contact; gzipped JSON lines, partitioned by stream, UTC date and hour',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          compressionType: 'gzip',
          typeOfData: 'file',
          'projection.enabled': 'true',
          ...projection,
          'storage.location.template': `${root}${partitionPath}/`,
        },
        partitionKeys: PARTITION_KEYS.map(glueColumn),
        storageDescriptor: {
          location: root,
          columns: COLUMNS.map(glueColumn),
          inputFormat: TABLE_FORMAT.inputFormat,
          outputFormat: TABLE_FORMAT.outputFormat,
          compressed: true,
          serdeInfo: { serializationLibrary: TABLE_FORMAT.serializationLibrary },
        },
      },
    });
    this.table.addResourceDependency(this.database);
  }
}
