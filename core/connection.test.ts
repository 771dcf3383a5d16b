import { describe, expect, it } from 'vitest';
import { onConnect, onGoodbye, tokenIdOf } from './connection.ts';
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

describe('onGoodbye', () => {
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
    const before = await ports.printers.get('P1');
    ports.advance(60_000);
    // Act
    const outcome = await onGoodbye(ports, identity, 'c1');
    // Assess
    expect(outcome).toBe('revoked');
    expect(await ports.printers.get('P1')).toEqual(before);
    expect(ports.notifier.sent).toContainEqual({
      printerId: 'P1',
      connectionId: 'c1',
      message: { type: 'revoked' },
    });
  });
});
