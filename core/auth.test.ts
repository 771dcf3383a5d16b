import { describe, expect, it } from 'vitest';
import {
  authenticate,
  bearerSecret,
  maySeeJob,
  requirePrinter,
  requireTerminal,
  submitterOf,
} from './auth.ts';
import { NotFoundError, UnauthorizedError } from './errors.ts';
import type { CredentialRecord } from './ports.ts';
import { hashSecret } from './secrets.ts';

const credentials = new Map<string, CredentialRecord>();
const deps = {
  ownerKey: { ownerKeyHash: async () => hashSecret('owner-secret') },
  credentials: {
    get: async (hash: string) => credentials.get(hash),
    put: async (c: CredentialRecord) => {
      credentials.set(c.secretHash, c);
    },
    delete: async (hash: string) => {
      credentials.delete(hash);
    },
  },
};

describe('authenticate', () => {
  it('resolves the owner key, an access token and a share key', async () => {
    // Prepare
    await deps.credentials.put({
      secretHash: hashSecret('tok'),
      kind: 'access',
      printerId: 'P1',
      createdAt: '',
    });
    await deps.credentials.put({
      secretHash: hashSecret('shr'),
      kind: 'share',
      printerId: 'P2',
      createdAt: '',
    });
    // Act
    const owner = await authenticate('Bearer owner-secret', deps);
    const access = await authenticate('bearer tok', deps);
    const share = await authenticate('Bearer shr', deps);
    // Assess
    expect(owner).toEqual({ kind: 'owner' });
    expect(access).toEqual({ kind: 'access', printerId: 'P1' });
    expect(share).toMatchObject({ kind: 'share', printerId: 'P2' });
  });

  it('refuses a missing header, another scheme or an unknown secret with 401', async () => {
    // Act + Assess
    await expect(authenticate(undefined, deps)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(authenticate('Basic abc', deps)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(authenticate('Bearer nobody', deps)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(bearerSecret('Bearer  x ')).toBe('x');
  });
});

describe('what a principal may see', () => {
  it('answers 404 for other printers and lets a share key see only its own jobs', () => {
    // Prepare
    const share = { kind: 'share' as const, printerId: 'P2', keyId: 'k1' };
    // Act + Assess
    expect(() => requirePrinter({ kind: 'access', printerId: 'P1' }, 'P2')).toThrow(NotFoundError);
    expect(() => requirePrinter({ kind: 'owner' }, 'P1')).toThrow(NotFoundError);
    expect(() => requireTerminal(share, 'P1')).toThrow(NotFoundError);
    expect(() => requireTerminal(share, 'P2')).not.toThrow();
    expect(maySeeJob(share, { submittedBy: submitterOf(share) })).toBe(true);
    expect(maySeeJob(share, { submittedBy: 'owner' })).toBe(false);
    expect(maySeeJob({ kind: 'owner' }, { submittedBy: 'share:k1' })).toBe(true);
  });
});
