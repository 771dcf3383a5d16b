/**
 * Who is calling. A bearer secret resolves to the owner (hash compare with the owner key), or to a
 * share key / access token (one lookup by hash). Anything a caller may not see answers 404.
 */
import { ForbiddenError, NotFoundError, UnauthorizedError } from './errors.ts';
import type { CredentialStore, OwnerKeySource } from './ports.ts';
import { hashesEqual, hashSecret } from './secrets.ts';

export type Principal =
  | { kind: 'owner' }
  | { kind: 'share'; printerId: string; keyId: string; label?: string }
  | { kind: 'access'; printerId: string };

/**
 * The name a share key made before keys had a stored `keyId` goes by (jobs record who submitted them).
 * Such keys still work but are not in the owner's listing (SHARE_KEYS_INDEX needs `keyId`).
 */
export function shareKeyId(secretHash: string): string {
  return secretHash.slice(0, 16);
}

export async function resolvePrincipal(
  secret: string,
  deps: { ownerKey: OwnerKeySource; credentials: Pick<CredentialStore, 'get'> },
): Promise<Principal | undefined> {
  const hash = hashSecret(secret);
  const ownerHash = await deps.ownerKey.ownerKeyHash();
  if (ownerHash && hashesEqual(hash, ownerHash)) return { kind: 'owner' };
  const credential = await deps.credentials.get(hash);
  if (!credential) return undefined;
  if (credential.kind === 'access') return { kind: 'access', printerId: credential.printerId };
  return {
    kind: 'share',
    printerId: credential.printerId,
    keyId: credential.keyId ?? shareKeyId(hash),
    ...(credential.label !== undefined ? { label: credential.label } : {}),
  };
}

/** The secret from `Authorization: Bearer <secret>`, or undefined. */
export function bearerSecret(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export async function authenticate(
  header: string | undefined,
  deps: { ownerKey: OwnerKeySource; credentials: Pick<CredentialStore, 'get'> },
): Promise<Principal> {
  const secret = bearerSecret(header);
  if (!secret) throw new UnauthorizedError();
  const principal = await resolvePrincipal(secret, deps);
  if (!principal) throw new UnauthorizedError('The bearer secret is not valid');
  return principal;
}

export function requireOwner(principal: Principal): void {
  if (principal.kind !== 'owner') throw new ForbiddenError('Only the owner key may do this');
}

/** Terminal routes on one printer: the owner, or a share key for that printer. */
export function requireTerminal(principal: Principal, printerId: string): void {
  if (principal.kind === 'owner') return;
  if (principal.kind === 'share' && principal.printerId === printerId) return;
  throw new NotFoundError('printer');
}

/** Printer routes: the access token of that very printer. */
export function requirePrinter(principal: Principal, printerId: string): void {
  if (principal.kind === 'access' && principal.printerId === printerId) return;
  throw new NotFoundError('printer');
}

/** How a job records its submitter. */
export function submitterOf(principal: Principal): string {
  return principal.kind === 'share' ? `share:${principal.keyId}` : principal.kind;
}

/** Owner sees every job; a share key only the jobs it submitted. */
export function maySeeJob(principal: Principal, job: { submittedBy: string }): boolean {
  if (principal.kind === 'owner') return true;
  if (principal.kind === 'share') return job.submittedBy === submitterOf(principal);
  return false;
}
