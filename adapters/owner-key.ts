/**
 * Where the owner key's hash comes from: Secrets Manager on AWS (OWNER_KEY_SECRET_ARN, read once per
 * container), or OWNER_KEY_HASH (sha256 hex) in the local cloud.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ENV } from '../core/config.ts';
import type { OwnerKeySource } from '../core/ports.ts';
import { hashSecret } from '../core/secrets.ts';
import { secretsClient } from './aws-clients.ts';

/** The secret is the key itself, or JSON `{"ownerKey": "..."}` (the shape CDK's generated secrets allow). */
export function ownerKeyFromSecret(secretString: string): string {
  const text = secretString.trim();
  if (text.startsWith('{')) {
    const parsed = JSON.parse(text) as { ownerKey?: unknown };
    if (typeof parsed.ownerKey !== 'string' || !parsed.ownerKey)
      throw new Error('owner key secret has no ownerKey');
    return parsed.ownerKey;
  }
  return text;
}

export class EnvOrSecretOwnerKey implements OwnerKeySource {
  private cached: Promise<string> | undefined;

  ownerKeyHash(): Promise<string | undefined> {
    const arn = process.env[ENV.ownerKeySecretArn];
    if (!arn) return Promise.resolve(process.env[ENV.ownerKeyHash]?.toLowerCase() || undefined);
    this.cached ??= secretsClient()
      .send(new GetSecretValueCommand({ SecretId: arn }))
      .then((out) => hashSecret(ownerKeyFromSecret(out.SecretString ?? '')));
    // A failed read is retried on the next request rather than cached.
    this.cached.catch(() => {
      this.cached = undefined;
    });
    return this.cached;
  }
}
