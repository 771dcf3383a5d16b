import { describe, expect, it } from 'vitest';
import { HEARTBEAT_WRITE_SECONDS, onConnect, onHeartbeat, tokenIdOf } from './connection.ts';
import { memoryPorts } from './testing/memory-ports.ts';

const TOKEN_HASH = 'a'.repeat(64);
const identity = { printerId: 'P1', tokenId: tokenIdOf(TOKEN_HASH) };

async function connectedPrinter() {
  const ports = memoryPorts();
  const at = ports.clock.now().toISOString();
  await ports.printers.register({ printerId: 'P1', name: 'P1', capabilities: {}, tokenHash: TOKEN_HASH, at });
  await onConnect(ports, identity, 'c1');
  return ports;
}

describe('onHeartbeat', () => {
  it('writes lastSeenAt only once it is HEARTBEAT_WRITE_SECONDS old', async () => {
    // Prepare: $connect wrote lastSeenAt
    const ports = await connectedPrinter();
    const connectedAt = (await ports.printers.get('P1'))?.lastSeenAt;
    // Act
    ports.advance(HEARTBEAT_WRITE_SECONDS * 1000 - 1000);
    await onHeartbeat(ports, identity, 'c1');
    const soon = (await ports.printers.get('P1'))?.lastSeenAt;
    ports.advance(1000);
    await onHeartbeat(ports, identity, 'c1');
    const later = (await ports.printers.get('P1'))?.lastSeenAt;
    // Assess
    expect(soon).toBe(connectedAt);
    expect(later).toBe(ports.clock.now().toISOString());
  });

  it('closes the socket of a replaced token and writes nothing', async () => {
    // Prepare
    const ports = await connectedPrinter();
    const at = ports.clock.now().toISOString();
    await ports.printers.register({
      printerId: 'P1',
      name: 'P1',
      capabilities: {},
      tokenHash: 'b'.repeat(64),
      at,
    });
    ports.advance(HEARTBEAT_WRITE_SECONDS * 1000 * 2);
    // Act
    const outcome = await onHeartbeat(ports, identity, 'c1');
    // Assess
    expect(outcome).toBe('revoked');
    expect((await ports.printers.get('P1'))?.lastSeenAt).toBe(at);
    expect(ports.notifier.sent).toContainEqual({
      printerId: 'P1',
      connectionId: 'c1',
      message: { type: 'revoked' },
    });
  });
});

describe('onConnect', () => {
  it('refuses a socket whose token was replaced before its $connect ran', async () => {
    // Prepare
    const ports = await connectedPrinter();
    const at = ports.clock.now().toISOString();
    await ports.printers.register({
      printerId: 'P1',
      name: 'P1',
      capabilities: {},
      tokenHash: 'b'.repeat(64),
      at,
    });
    // Act
    const outcome = await onConnect(ports, identity, 'c2');
    // Assess
    expect(outcome).toBe('revoked');
    expect((await ports.printers.get('P1'))?.connectionId).toBeNull();
  });
});
