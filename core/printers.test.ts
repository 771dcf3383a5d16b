import { describe, expect, it } from 'vitest';
import { authenticate, type Principal } from './auth.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from './errors.ts';
import { createShareKey, listShareKeys, revokeShareKey } from './printers.ts';
import { hashSecret } from './secrets.ts';
import { memoryPorts } from './testing/memory-ports.ts';

const owner: Principal = { kind: 'owner' };

async function prepared() {
  const ports = memoryPorts();
  for (const printerId of ['P1', 'P2']) {
    await ports.printers.register({
      printerId,
      name: printerId,
      capabilities: {},
      tokenHash: `t-${printerId}`,
      at: '2026-03-01T00:00:00.000Z',
    });
  }
  return ports;
}

describe('share keys', () => {
  it('creates a key with a public sk_ keyId, stored by hash with its keyId and label', async () => {
    // Prepare
    const ports = await prepared();
    // Act
    const created = await createShareKey(ports, owner, 'P1', { label: 'Front desk' });
    // Assess
    expect(created).toEqual({
      shareKey: expect.any(String),
      keyId: expect.stringMatching(/^sk_[A-Za-z0-9_-]{16}$/),
      printerId: 'P1',
      createdAt: '2026-03-01T12:00:00.000Z',
      label: 'Front desk',
    });
    expect(await ports.credentials.get(hashSecret(created.shareKey))).toEqual({
      secretHash: hashSecret(created.shareKey),
      kind: 'share',
      printerId: 'P1',
      keyId: created.keyId,
      createdAt: '2026-03-01T12:00:00.000Z',
      label: 'Front desk',
    });
    const principal = await authenticate(`Bearer ${created.shareKey}`, ports);
    expect(principal).toEqual({ kind: 'share', printerId: 'P1', keyId: created.keyId, label: 'Front desk' });
  });

  it('lists a printer its own keys only, never the secret or its hash, and not access tokens', async () => {
    // Prepare
    const ports = await prepared();
    const a = await createShareKey(ports, owner, 'P1', { label: 'A' });
    const b = await createShareKey(ports, owner, 'P1');
    await createShareKey(ports, owner, 'P2');
    await ports.credentials.put({ secretHash: 'x', kind: 'access', printerId: 'P1', createdAt: '' });
    // Act
    const listed = await listShareKeys(ports, owner, 'P1');
    // Assess
    const expected = [
      { keyId: a.keyId, createdAt: a.createdAt, label: 'A' },
      { keyId: b.keyId, createdAt: b.createdAt },
    ].sort((x, y) => x.keyId.localeCompare(y.keyId));
    expect(listed).toEqual(expected);
    expect(JSON.stringify(listed)).not.toContain(a.shareKey);
    expect(JSON.stringify(listed)).not.toContain(hashSecret(a.shareKey));
  });

  it('revokes a key: its secret then answers 401 like a wrong key, the others keep working', async () => {
    // Prepare
    const ports = await prepared();
    const gone = await createShareKey(ports, owner, 'P1');
    const kept = await createShareKey(ports, owner, 'P1');
    // Act
    await revokeShareKey(ports, owner, 'P1', gone.keyId);
    // Assess
    await expect(authenticate(`Bearer ${gone.shareKey}`, ports)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(authenticate(`Bearer ${kept.shareKey}`, ports)).resolves.toMatchObject({
      keyId: kept.keyId,
    });
    expect((await listShareKeys(ports, owner, 'P1')).map((k) => k.keyId)).toEqual([kept.keyId]);
  });

  it('answers 404 for an unknown key, a key of another printer or an unknown printer', async () => {
    // Prepare
    const ports = await prepared();
    const other = await createShareKey(ports, owner, 'P2');
    // Act + Assess
    await expect(revokeShareKey(ports, owner, 'P1', 'sk_nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeShareKey(ports, owner, 'P1', other.keyId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeShareKey(ports, owner, 'P9', other.keyId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(listShareKeys(ports, owner, 'P9')).rejects.toBeInstanceOf(NotFoundError);
    await expect(authenticate(`Bearer ${other.shareKey}`, ports)).resolves.toMatchObject({ printerId: 'P2' });
  });

  it('lets only the owner list or revoke keys (403 for a share key)', async () => {
    // Prepare
    const ports = await prepared();
    const key = await createShareKey(ports, owner, 'P1');
    const share: Principal = { kind: 'share', printerId: 'P1', keyId: key.keyId };
    // Act + Assess
    await expect(listShareKeys(ports, share, 'P1')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(revokeShareKey(ports, share, 'P1', key.keyId)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(createShareKey(ports, share, 'P1')).rejects.toBeInstanceOf(ForbiddenError);
  });
});
