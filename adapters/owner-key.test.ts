import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../core/secrets.ts';
import { EnvOrSecretOwnerKey, OWNER_KEY_CACHE_MS, ownerKeyFromSecret } from './owner-key.ts';

describe('ownerKeyFromSecret', () => {
  it('reads a plain secret string or JSON {"ownerKey"}', () => {
    // Act + Assess
    expect(ownerKeyFromSecret('  abc \n')).toBe('abc');
    expect(ownerKeyFromSecret('{"ownerKey":"xyz"}')).toBe('xyz');
    expect(() => ownerKeyFromSecret('{"other":1}')).toThrow('no ownerKey');
  });
});

describe('EnvOrSecretOwnerKey', () => {
  const saved = { hash: process.env.OWNER_KEY_HASH, arn: process.env.OWNER_KEY_SECRET_ARN };
  afterEach(() => {
    process.env.OWNER_KEY_HASH = saved.hash ?? '';
    process.env.OWNER_KEY_SECRET_ARN = saved.arn ?? '';
  });

  it('uses OWNER_KEY_HASH when no secret ARN is set, and nothing when neither is', async () => {
    // Prepare
    process.env.OWNER_KEY_SECRET_ARN = '';
    process.env.OWNER_KEY_HASH = hashSecret('k').toUpperCase();
    const source = new EnvOrSecretOwnerKey();
    // Act
    const hash = await source.ownerKeyHash();
    process.env.OWNER_KEY_HASH = '';
    const none = await source.ownerKeyHash();
    // Assess
    expect(hash).toBe(hashSecret('k'));
    expect(none).toBeUndefined();
  });
});

describe('EnvOrSecretOwnerKey with a secret ARN', () => {
  const saved = { hash: process.env.OWNER_KEY_HASH, arn: process.env.OWNER_KEY_SECRET_ARN };
  afterEach(() => {
    process.env.OWNER_KEY_HASH = saved.hash ?? '';
    process.env.OWNER_KEY_SECRET_ARN = saved.arn ?? '';
  });

  it('serves the cached key until OWNER_KEY_CACHE_MS has passed, then reads the rotated one', async () => {
    // Prepare
    process.env.OWNER_KEY_SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:owner';
    let secret = 'old-key';
    let reads = 0;
    let clock = 1_000_000;
    const source = new EnvOrSecretOwnerKey({
      readSecret: async (arn) => {
        expect(arn).toBe(process.env.OWNER_KEY_SECRET_ARN);
        reads += 1;
        return secret;
      },
      now: () => clock,
    });
    // Act
    const first = await source.ownerKeyHash();
    secret = 'new-key';
    clock += OWNER_KEY_CACHE_MS - 1;
    const beforeExpiry = await source.ownerKeyHash();
    clock += 1;
    const afterExpiry = await source.ownerKeyHash();
    // Assess
    expect(first).toBe(hashSecret('old-key'));
    expect(beforeExpiry).toBe(hashSecret('old-key'));
    expect(afterExpiry).toBe(hashSecret('new-key'));
    expect(reads).toBe(2);
    expect(OWNER_KEY_CACHE_MS).toBeLessThanOrEqual(5 * 60 * 1000);
  });

  it('does not cache a failed read', async () => {
    // Prepare
    process.env.OWNER_KEY_SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:owner';
    let fail = true;
    const source = new EnvOrSecretOwnerKey({
      readSecret: async () => {
        if (fail) throw new Error('throttled');
        return '{"ownerKey":"k"}';
      },
    });
    // Act
    const failed = await source.ownerKeyHash().catch((error: Error) => error.message);
    fail = false;
    const next = await source.ownerKeyHash();
    // Assess
    expect(failed).toBe('throttled');
    expect(next).toBe(hashSecret('k'));
  });
});
