/**
 * Re-registration revokes the old access token: every socket opened with it is closed (@connections
 * DELETE), and nothing it still sends has effect.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenIdOf } from '../core/connection.ts';
import { hashSecret } from '../core/secrets.ts';
import { call, httpEvent, lambdaContext, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, loadHandlers, registerPrinter } from './testing/flows.ts';

let cloud: TestCloud;
let handlers: Handlers;
/** API Gateway's @connections API: every connection is live; what the cloud asked of it is recorded. */
let connections: Server;
const calls: Array<{ method: string; connectionId: string }> = [];

beforeAll(async () => {
  connections = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        connectionId: decodeURIComponent((req.url ?? '').split('/').pop() ?? ''),
      });
      res.writeHead(req.method === 'DELETE' ? 204 : 200);
      res.end();
    });
  });
  await new Promise<void>((resolve) => connections.listen(0, '127.0.0.1', resolve));
  cloud = await startTestCloud({
    WS_CALLBACK_URL: `http://127.0.0.1:${(connections.address() as AddressInfo).port}`,
  });
  handlers = await loadHandlers();
});

afterAll(async () => {
  await cloud?.stop();
  await new Promise((resolve) => connections?.close(resolve));
});

function wsEvent(
  routeKey: string,
  connectionId: string,
  printerId: string,
  token: string,
  connectedAt: number,
) {
  return {
    requestContext: {
      routeKey,
      eventType: routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE',
      connectionId,
      connectedAt,
      authorizer: { printerId, tokenId: tokenIdOf(hashSecret(token)) },
    },
    ...(routeKey.startsWith('$') ? {} : { body: JSON.stringify({ action: routeKey }) }),
  };
}

async function ws(routeKey: string, connectionId: string, printerId: string, token: string, at = Date.now()) {
  return (await handlers.connect(
    wsEvent(routeKey, connectionId, printerId, token, at) as never,
    lambdaContext,
  )) as { statusCode: number; body?: string };
}

async function view(printerId: string) {
  return (
    await call(
      handlers.terminal,
      httpEvent('GET /v1/printers/{printerId}', { pathParameters: { printerId }, token: cloud.ownerKey }),
    )
  ).body;
}

describe('re-registration revokes every socket of the old token', () => {
  it('closes the older socket too, not only the recorded one', async () => {
    // Prepare: two sockets of one token, the second recorded as the printer's connection
    const old = await registerPrinter(handlers, cloud, 'rv-1');
    await ws('$connect', 'rv-a', 'rv-1', old, Date.now() - 1000);
    await ws('$connect', 'rv-b', 'rv-1', old);
    calls.length = 0;
    // Act
    await registerPrinter(handlers, cloud, 'rv-1');
    // Assess
    const deleted = calls.filter((c) => c.method === 'DELETE').map((c) => c.connectionId);
    expect(deleted.sort()).toEqual(['rv-a', 'rv-b']);
  });

  it('refuses what a revoked socket sends, closes it, and writes nothing', async () => {
    // Prepare
    const old = await registerPrinter(handlers, cloud, 'rv-2');
    await ws('$connect', 'rv-c', 'rv-2', old);
    await registerPrinter(handlers, cloud, 'rv-2');
    const before = await view('rv-2');
    await new Promise((resolve) => setTimeout(resolve, 20));
    calls.length = 0;
    // Act
    const bye = await ws('goodbye', 'rv-c', 'rv-2', old);
    const closed = calls.filter((c) => c.method === 'DELETE').map((c) => c.connectionId);
    const late = await ws('$connect', 'rv-d', 'rv-2', old);
    const after = await view('rv-2');
    // Assess
    expect(bye.statusCode).toBe(403);
    expect(JSON.parse(bye.body ?? '{}').error).toBe('revoked');
    expect(closed).toEqual(['rv-c']);
    expect(late.statusCode).toBe(403);
    expect(after).toEqual(before);
  });

  it('still takes the new token: a goodbye is acknowledged', async () => {
    // Prepare
    const fresh = await registerPrinter(handlers, cloud, 'rv-3');
    await ws('$connect', 'rv-e', 'rv-3', fresh);
    // Act
    const bye = await ws('goodbye', 'rv-e', 'rv-3', fresh);
    // Assess
    expect(bye.statusCode).toBe(200);
    expect(JSON.parse(bye.body ?? '{}').type).toBe('goodbye-ack');
  });
});
