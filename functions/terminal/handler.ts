/** Terminal routes: discovery, the printer list, owner settings and share keys. */
import { awsPorts } from '../../adapters/ports.ts';
import { ENV } from '../../core/config.ts';
import { ippBaseOf } from '../../core/ipp/capability.ts';
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
  webhookBodySchema,
  webhookParamsSchema,
} from '../../core/schemas.ts';
import { createWebhook, deleteWebhook, listDeliveries, listWebhooks } from '../../core/webhooks.ts';
import { bodyBytes, bodyOf, httpHandler, json, pathOf, principalOf, publicBaseUrl } from '../http.ts';
import { openApiDocument } from '../openapi.ts';

const ports = awsPorts();

export const handler = httpHandler<'terminal'>({
  'GET /v1/config': async () => json(200, { websocketUrl: process.env[ENV.wsUrl] ?? '', apiVersion: '1' }),

  'GET /openapi.json': async (event) =>
    json(200, openApiDocument(publicBaseUrl(event)), { 'cache-control': 'public, max-age=300' }),

  'GET /v1/printers': async (event) => {
    const principal = await principalOf(event, ports);
    return json(200, { printers: await listPrinters(ports, principal) });
  },

  'GET /v1/printers/{printerId}': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    return json(200, await getPrinter(ports, principal, printerId, ippBaseOf(publicBaseUrl(event))));
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
    const created = await createShareKey(ports, principal, printerId, body, ippBaseOf(publicBaseUrl(event)));
    // The key rides in the fragment: browsers never send it to a server, a log or a Referer.
    const inviteUrl = `${publicBaseUrl(event)}/#invite=${created.shareKey}`;
    return json(
      201,
      { ...created, inviteUrl },
      { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    );
  },

  'GET /v1/printers/{printerId}/share-keys': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId } = pathOf(printerParamsSchema, event);
    return json(200, {
      shareKeys: await listShareKeys(ports, principal, printerId, ippBaseOf(publicBaseUrl(event))),
    });
  },

  'DELETE /v1/printers/{printerId}/share-keys/{keyId}': async (event) => {
    const principal = await principalOf(event, ports);
    const { printerId, keyId } = pathOf(shareKeyParamsSchema, event);
    await revokeShareKey(ports, principal, printerId, keyId);
    return { statusCode: 204, headers: {}, body: '' };
  },

  'POST /v1/webhooks': async (event) => {
    const principal = await principalOf(event, ports);
    const body = bodyOf(webhookBodySchema, event);
    const allowLoopbackHttp = process.env[ENV.webhookAllowLoopback] === '1';
    return json(201, await createWebhook(ports, principal, body, { allowLoopbackHttp }));
  },

  'GET /v1/webhooks': async (event) => {
    const principal = await principalOf(event, ports);
    return json(200, { webhooks: await listWebhooks(ports, principal) });
  },

  'DELETE /v1/webhooks/{webhookId}': async (event) => {
    const principal = await principalOf(event, ports);
    const { webhookId } = pathOf(webhookParamsSchema, event);
    await deleteWebhook(ports, principal, webhookId);
    return { statusCode: 204, headers: {}, body: '' };
  },

  'GET /v1/webhooks/{webhookId}/deliveries': async (event) => {
    const principal = await principalOf(event, ports);
    const { webhookId } = pathOf(webhookParamsSchema, event);
    return json(200, { deliveries: await listDeliveries(ports, principal, webhookId) });
  },
});
