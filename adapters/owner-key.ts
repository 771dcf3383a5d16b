/**
 * Where the owner key's hash comes from: Secrets Manager on AWS (OWNER_KEY_SECRET_ARN, read again
 * once OWNER_KEY_CACHE_MS has passed, so a rotated key takes over within minutes in every warm
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

/**
 * How long a container trusts the key it read. Five minutes bounds both how long an old key keeps
 * working after a rotation and the reads: at most 12 an hour per warm container ($0.05 per 10,000).
 */
export const OWNER_KEY_CACHE_MS = 5 * 60 * 1000;

export interface EnvOrSecretOwnerKeyOptions {
  /** The secret's string; Secrets Manager unless a test supplies its own. */
  readSecret?: (arn: string) => Promise<string>;
  now?: () => number;
}

const readFromSecretsManager = async (arn: string): Promise<string> =>
  (await secretsClient().send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '';

export class EnvOrSecretOwnerKey implements OwnerKeySource {
  private cached: { hash: Promise<string>; readAt: number } | undefined;
  private readonly readSecret: (arn: string) => Promise<string>;
  private readonly now: () => number;

  constructor(options: EnvOrSecretOwnerKeyOptions = {}) {
    this.readSecret = options.readSecret ?? readFromSecretsManager;
    this.now = options.now ?? Date.now;
  }

  ownerKeyHash(): Promise<string | undefined> {
    const arn = process.env[ENV.ownerKeySecretArn];
    if (!arn) return Promise.resolve(process.env[ENV.ownerKeyHash]?.toLowerCase() || undefined);
    const now = this.now();
    if (!this.cached || now - this.cached.readAt >= OWNER_KEY_CACHE_MS) {
      const entry = {
        hash: this.readSecret(arn).then((secret) => hashSecret(ownerKeyFromSecret(secret))),
        readAt: now,
      };
      this.cached = entry;
      // A failed read is retried on the next request rather than cached.
      entry.hash.catch(() => {
        if (this.cached === entry) this.cached = undefined;
      });
    }
    return this.cached.hash;
  }
}
