import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretReadError } from '../errors';
import { describeAwsError } from './aws-error';

/** Reads a secret's string value. */
export type SecretReader = (secretId: string) => Promise<string>;

/**
 * A {@link SecretReader} over Secrets Manager. Errors name the secret id and the AWS error, never a value.
 * The SDK honours `AWS_ENDPOINT_URL_SECRETS_MANAGER`, which is how the demo and tests point it at a local endpoint.
 */
export function secretsManagerReader(client: SecretsManagerClient): SecretReader {
  return async (secretId) => {
    let value: string | undefined;
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      value = out.SecretString;
    } catch (error) {
      const failure = describeAwsError(error, {
        service: 'Secrets Manager',
        endpointVariable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
        notFoundFix: 'check KORE_SECRET_ID (the stack output SecretArn) and AWS_REGION',
      });
      throw new SecretReadError(`could not read secret ${secretId}: ${failure.cause}; ${failure.fix}`, failure.configuration, {
        cause: error,
      });
    }
    if (value === undefined || value.trim() === '') {
      throw new SecretReadError(
        `secret ${secretId} has no string value yet: put the Kore connection JSON into it (see docs/operations.md, "Put the secret")`,
        true,
      );
    }
    return value;
  };
}
