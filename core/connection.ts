/**
 * The push connection (patent T120/T144/T220). Opening or closing it records presence only:
 * acceptingJobs is never written here (claim 1).
 *
 * Every socket carries the token it was opened with (`tokenId`, from the $connect authorizer's context).
 * A re-registration replaces the token: from then on nothing that socket sends has effect (each write is
 * conditional on the printer's current token) and the socket is closed.
 */
import type { Ports } from './ports.ts';
import type { DisconnectKind, PrinterRecord } from './printer.ts';
import { hashSecret } from './secrets.ts';

type ConnectionPorts = Pick<Ports, 'printers' | 'credentials' | 'clock' | 'notifier'>;

/** The name a socket's token goes by in the authorizer context: a prefix of its hash, never the token. */
export function tokenIdOf(tokenHash: string): string {
  return tokenHash.slice(0, 16);
}

export interface ConnectionIdentity {
  printerId: string;
  tokenId: string;
}

/** The $connect authorizer: an access token names its printer (and itself by tokenId); anything else is refused. */
export async function authorizeConnection(
  ports: Pick<Ports, 'credentials'>,
  secret: string | undefined,
): Promise<ConnectionIdentity | undefined> {
  if (!secret) return undefined;
  const hash = hashSecret(secret);
  const credential = await ports.credentials.get(hash);
  return credential?.kind === 'access'
    ? { printerId: credential.printerId, tokenId: tokenIdOf(hash) }
    : undefined;
}

function holdsToken(printer: PrinterRecord | undefined, tokenId: string): boolean {
  return printer !== undefined && tokenIdOf(printer.tokenHash) === tokenId;
}

/**
 * Records the connection opened at `openedAtMs` (API Gateway's requestContext.connectedAt), in one write
 * conditional on `tokenId` still being the printer's token. `stale` when a newer connection of this printer
 * is already recorded, `revoked` when the token was replaced: either way the socket is refused.
 */
export async function onConnect(
  ports: ConnectionPorts,
  identity: ConnectionIdentity,
  connectionId: string,
  openedAtMs?: number,
): Promise<'recorded' | 'stale' | 'revoked'> {
  const now = ports.clock.now();
  const openedAt = typeof openedAtMs === 'number' && Number.isFinite(openedAtMs) ? new Date(openedAtMs) : now;
  const { printerId, tokenId } = identity;
  if (!tokenId) return 'revoked';
  if (
    await ports.printers.connected(
      printerId,
      connectionId,
      now.toISOString(),
      openedAt.toISOString(),
      tokenId,
    )
  )
    return 'recorded';
  // The refused write does not say which condition failed: one read, on this rare path only.
  return holdsToken(await ports.printers.get(printerId), tokenId) ? 'stale' : 'revoked';
}

/** A socket whose token was replaced: told so and closed (@connections DELETE). */
async function closeRevoked(
  ports: ConnectionPorts,
  printerId: string,
  connectionId: string,
): Promise<'revoked'> {
  await ports.notifier.revoke(printerId, connectionId);
  return 'revoked';
}

/** The printer is turning its service off on purpose: its coming disconnect is not a loss. */
export async function onGoodbye(
  ports: ConnectionPorts,
  identity: ConnectionIdentity,
  connectionId: string,
): Promise<'ok' | 'revoked'> {
  const { printerId, tokenId } = identity;
  if (!holdsToken(await ports.printers.get(printerId), tokenId))
    return closeRevoked(ports, printerId, connectionId);
  // Conditional on this connection being the recorded one, which a re-registration clears.
  await ports.printers.goodbye(printerId, connectionId, ports.clock.now().toISOString());
  return 'ok';
}

export function onDisconnect(
  ports: ConnectionPorts,
  printerId: string,
  connectionId: string,
): Promise<DisconnectKind | undefined> {
  return ports.printers.disconnected(printerId, connectionId, ports.clock.now().toISOString());
}
