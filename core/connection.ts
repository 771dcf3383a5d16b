/**
 * The push connection (patent T120/T144/T220). Opening or closing it records presence only:
 * acceptingJobs is never written here (claim 1).
 */
import type { Ports } from './ports.ts';
import type { DisconnectKind } from './printer.ts';
import { hashSecret } from './secrets.ts';

type ConnectionPorts = Pick<Ports, 'printers' | 'credentials' | 'clock'>;

/** The $connect authorizer: an access token names its printer; anything else is refused. */
export async function authorizeConnection(
  ports: Pick<Ports, 'credentials'>,
  secret: string | undefined,
): Promise<string | undefined> {
  if (!secret) return undefined;
  const credential = await ports.credentials.get(hashSecret(secret));
  return credential?.kind === 'access' ? credential.printerId : undefined;
}

/**
 * Records the connection opened at `openedAtMs` (API Gateway's requestContext.connectedAt). False when a
 * newer connection of this printer is already recorded: this one is stale and should be refused.
 */
export function onConnect(
  ports: ConnectionPorts,
  printerId: string,
  connectionId: string,
  openedAtMs?: number,
): Promise<boolean> {
  const now = ports.clock.now();
  const openedAt = typeof openedAtMs === 'number' && Number.isFinite(openedAtMs) ? new Date(openedAtMs) : now;
  return ports.printers.connected(printerId, connectionId, now.toISOString(), openedAt.toISOString());
}

export function onHeartbeat(ports: ConnectionPorts, printerId: string): Promise<void> {
  return ports.printers.seen(printerId, ports.clock.now().toISOString(), false);
}

/** The printer is turning its service off on purpose: its coming disconnect is not a loss. */
export function onGoodbye(ports: ConnectionPorts, printerId: string, connectionId: string): Promise<void> {
  return ports.printers.goodbye(printerId, connectionId, ports.clock.now().toISOString());
}

export function onDisconnect(
  ports: ConnectionPorts,
  printerId: string,
  connectionId: string,
): Promise<DisconnectKind | undefined> {
  return ports.printers.disconnected(printerId, connectionId, ports.clock.now().toISOString());
}
