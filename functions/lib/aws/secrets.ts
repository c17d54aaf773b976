import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ArchiveError } from '../errors';

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
      const name = error instanceof Error ? error.name : 'UnknownError';
      throw new ArchiveError(`could not read secret ${secretId} from Secrets Manager (${name})`, { cause: error });
    }
    if (value === undefined || value.trim() === '') {
      throw new ArchiveError(
        `secret ${secretId} has no string value yet: put the Kore connection JSON into it (see README, "Put the secret")`,
      );
    }
    return value;
  };
}
