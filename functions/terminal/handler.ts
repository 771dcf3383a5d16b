/** Terminal routes: discovery, the printer list, owner settings and share keys. */
import { awsPorts } from '../../adapters/ports.ts';
import { ENV } from '../../core/config.ts';
import {
  createShareKey,
  getPrinter,
  listPrinters,
  listShareKeys,
  revokeShareKey,
  updateSettings,
} from '../../core/printers.ts';
import {
  printerParamsSchema,
  printerSettingsBodySchema,
  shareKeyBodySchema,
  shareKeyParamsSchema,
} from '../../core/schemas.ts';
import { bodyBytes, bodyOf, httpHandler, json, pathOf, principalOf, publicBase } from '../http.ts';

const ports = awsPorts();

export const handler = httpHandler({
  'GET /v1/config': async () => json(200, { websocketUrl: process.env[ENV.wsUrl] ?? '', apiVersion: '1' }),

  'GET /v1/printers': async (event) => {
    const principal = await principalOf(event, ports);
    return json(200, { printers: await listPrinters(ports, principal) });
  },

  'GET /v1/printers/{printerId}': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    return json(200, await getPrinter(ports, principal, printerId));
  },

  'PATCH /v1/printers/{printerId}': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    const body = bodyOf(printerSettingsBodySchema, event);
    return json(200, await updateSettings(ports, principal, printerId, body));
  },

  'POST /v1/printers/{printerId}/share-keys': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    // The body is optional (the contract's form sends none).
    const body = bodyBytes(event).length ? bodyOf(shareKeyBodySchema, event) : {};
    const created = await createShareKey(ports, principal, printerId, body);
    // The key rides in the fragment: browsers never send it to a server, a log or a Referer.
    const inviteUrl = `${publicBase(event)}/#invite=${created.shareKey}`;
    return json(
      201,
      { ...created, inviteUrl },
      { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    );
  },

  'GET /v1/printers/{printerId}/share-keys': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    return json(200, { shareKeys: await listShareKeys(ports, principal, printerId) });
  },

  'DELETE /v1/printers/{printerId}/share-keys/{keyId}': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId, keyId } = pathOf(shareKeyParamsSchema, event);
    await revokeShareKey(ports, principal, printerId, keyId);
    return { statusCode: 204, headers: {}, body: '' };
  },
});
