import { Stack, Validations } from 'aws-cdk-lib';
import type { aws_s3 as s3 } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { LAYOUT } from '../functions/lib/archive/layout';
import { ARCHIVE_AREAS, archiveObjectsArn, type ArchiveArea } from './bindings';
import type { SyncFunction } from './constructs/sync-function';

/**
 * Flattens a resolved CloudFormation value the way cdk-nag names a finding (`Fn::GetAtt` → `<Id.Attr>`,
 * `Ref` → `<Id>`, `Fn::Join` joined), so an acknowledgement names exactly one finding.
 */
export function nagResourceName(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof resolved === 'object' && resolved !== null) {
    const node = resolved as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(nagResourceName).join(delimiter);
    }
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [id, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagResourceName(id)}.${nagResourceName(attribute)}>`;
    }
    if (node.Ref !== undefined) return `<${nagResourceName(node.Ref)}>`;
  }
  return JSON.stringify(resolved);
}

/**
 * Acknowledges one `AwsSolutions-IAM5` finding: a wildcard in the given resource of a policy under `scope`.
 * Never a blanket acknowledgement of the rule: any other wildcard still fails synthesis.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  const name = nagResourceName(Stack.of(scope).resolve(resourceArn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${name}]`, reason });
}

/** What the keys of each archive area are, for the acknowledgement's reason. */
const AREA_KEYS: Readonly<Record<ArchiveArea, string>> = {
  contacts: 'published hourly data objects and manifests, whose keys are stream_id=/dt=/hour= partitions (written, read back to merge a refresh, and deleted)',
  state: 'one pre-ledger state object per stream, named by the stream id (read once to migrate it)',
  ledger: 'the window ledger: one head and one document per UTC day per stream, named by stream id and date',
  leases: 'one lease object per stream, named by the stream id',
  checkpoints: 'the chunks and state objects of hours fetched across invocations, under stream_id=/dt=/hour= folders (written, read back, deleted)',
};

/**
 * Acknowledges the object-level wildcards of the sync function's archive grants (see `bindArchiveBucket`):
 * S3 object ARNs can only be scoped by key prefix, and these are exactly the areas the function has
 * object grants in (the same list the grants are made from, so the two cannot drift apart).
 */
export function acknowledgeArchivePolicy(sync: SyncFunction, bucket: s3.IBucket, prefix: string): void {
  const role = sync.function.role;
  if (role === undefined) return;
  for (const area of ARCHIVE_AREAS) {
    const folder = `${prefix}/${LAYOUT[area]}/`;
    acknowledgeWildcardResource(
      role,
      archiveObjectsArn(bucket, prefix, area),
      `Object keys under ${folder} are ${AREA_KEYS[area]}; a key-prefix wildcard is the narrowest S3 scope for them and covers nothing outside the archive prefix.`,
    );
  }
}
