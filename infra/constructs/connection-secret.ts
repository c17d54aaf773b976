import { SecretValue, Validations, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import type { aws_kms as kms } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The keys of the Kore connection secret, as the function parses them, with the placeholder each gets
 * when the stack creates the secret. Placeholders fail the function's secret check with a message naming
 * the key, until the real value is put (see the `PutSecretCommand` output).
 */
export const SECRET_PLACEHOLDER = Object.freeze({
  host: 'https://platform.kore.ai',
  accountId: '',
  orgId: '',
  clientId: '',
  clientSecret: '',
});

/** Properties of {@link ConnectionSecret}. */
export interface ConnectionSecretProps {
  /** Import this secret (complete ARN) instead of creating one. */
  readonly existingSecretArn?: string;
  /** Encrypt a created secret with this key (default: the AWS-managed Secrets Manager key). */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The Secrets Manager secret holding the Kore.ai connection (host, account and org ids, client id and
 * secret). Created with an empty-valued shape (never a real credential in the template), or imported.
 */
export class ConnectionSecret extends Construct {
  readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ConnectionSecretProps = {}) {
    super(scope, id);
    if (props.existingSecretArn !== undefined) {
      this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', props.existingSecretArn);
      return;
    }
    const secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'kore-qa-archive: Kore.ai connection (host, accountId, orgId, clientId, clientSecret). Put the real value after deploying.',
      encryptionKey: props.encryptionKey,
      // Placeholders only (no credential): CloudFormation writes them once at creation and never again
      // unless this value changes, so a value put later survives every deployment.
      secretObjectValue: Object.fromEntries(
        Object.entries(SECRET_PLACEHOLDER).map(([key, value]) => [key, SecretValue.unsafePlainText(value)]),
      ),
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The credential is issued in the Kore.ai app settings and cannot be rotated by a Lambda; rotate it there and put the new value (README, "Put the secret"). The function reads the secret on every run, so no redeploy is needed.',
    });
    this.secret = secret;
  }
}
