/**
 * `npm run rotate-owner-key -- --secret-id <OwnerKeySecretArn>`: puts a new owner key into the
 * stack's secret and prints it, once, to this terminal. Every function reads the secret again within
 * five minutes (adapters/owner-key.ts OWNER_KEY_CACHE_MS); until then a warm container may still
 * accept the old key and refuse the new one. Credentials and region are the AWS CLI's (profile, env).
 */
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { OWNER_KEY_CACHE_MS } from '../adapters/owner-key.ts';
import { newSecret } from '../core/secrets.ts';

export async function rotateOwnerKey(client: SecretsManagerClient, secretId: string): Promise<string> {
  const ownerKey = newSecret();
  await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: ownerKey }));
  return ownerKey;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--secret-id');
  const secretId = at >= 0 ? args[at + 1] : undefined;
  if (!secretId) {
    console.error('usage: npm run rotate-owner-key -- --secret-id <OwnerKeySecretArn from cdk deploy>');
    process.exit(2);
  }
  const ownerKey = await rotateOwnerKey(new SecretsManagerClient({}), secretId);
  console.log(ownerKey);
  console.error(
    `New owner key set. The old one stops working within ${OWNER_KEY_CACHE_MS / 60_000} minutes.`,
  );
}
