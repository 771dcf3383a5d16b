import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../core/secrets.ts';
import { EnvOrSecretOwnerKey, ownerKeyFromSecret } from './owner-key.ts';

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
