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

export function onConnect(ports: ConnectionPorts, printerId: string, connectionId: string): Promise<void> {
  return ports.printers.connected(printerId, connectionId, ports.clock.now().toISOString());
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
