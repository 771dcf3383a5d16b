import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, httpEvent, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, loadHandlers, registerPrinter } from './testing/flows.ts';

let cloud: TestCloud;
let handlers: Handlers;
let token: string;

beforeAll(async () => {
  cloud = await startTestCloud({ WS_URL: 'wss://ws.example.test/prod' });
  handlers = await loadHandlers();
  token = await registerPrinter(handlers, cloud, 'tm-1', { accepting: true });
  await registerPrinter(handlers, cloud, 'tm-2');
});

afterAll(async () => {
  await cloud?.stop();
});

describe('GET /v1/config', () => {
  it('answers without auth with the WebSocket URL and API version', async () => {
    // Act
    const answer = await call(handlers.terminal, httpEvent('GET /v1/config'));
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.body).toEqual({ websocketUrl: 'wss://ws.example.test/prod', apiVersion: '1' });
  });
});

describe('GET /v1/printers', () => {
  it('shows the owner every printer and a share key only its own', async () => {
    // Prepare
    const share = await call(
      handlers.terminal,
      httpEvent('POST /v1/printers/{printerId}/share-keys', {
        pathParameters: { printerId: 'tm-2' },
        token: cloud.ownerKey,
      }),
    );
    // Act
    const owner = await call(handlers.terminal, httpEvent('GET /v1/printers', { token: cloud.ownerKey }));
    const shared = await call(
      handlers.terminal,
      httpEvent('GET /v1/printers', { token: String(share.body.shareKey) }),
    );
    const hidden = await call(
      handlers.terminal,
      httpEvent('GET /v1/printers/{printerId}', {
        pathParameters: { printerId: 'tm-1' },
        token: String(share.body.shareKey),
      }),
    );
    // Assess
    expect(share.status).toBe(201);
    const ids = (owner.body.printers as Array<{ printerId: string }>).map((p) => p.printerId);
    expect(ids).toEqual(['tm-1', 'tm-2']);
    expect(owner.body.printers).toContainEqual(
      expect.objectContaining({
        printerId: 'tm-1',
        acceptingJobs: true,
        acceptingReason: null,
        state: 'idle',
        online: false,
      }),
    );
    expect((shared.body.printers as Array<{ printerId: string }>).map((p) => p.printerId)).toEqual(['tm-2']);
    expect(hidden.status).toBe(404);
  });

  it('answers 401 without a key and with an unknown key', async () => {
    // Act
    const none = await call(handlers.terminal, httpEvent('GET /v1/printers'));
    const unknown = await call(handlers.terminal, httpEvent('GET /v1/printers', { token: 'unknown' }));
    // Assess
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(unknown.status).toBe(401);
  });
});

describe('PATCH /v1/printers/{printerId}', () => {
  it('sets and clears the offline grace (owner only)', async () => {
    // Act
    const set = await call(
      handlers.terminal,
      httpEvent('PATCH /v1/printers/{printerId}', {
        pathParameters: { printerId: 'tm-1' },
        token: cloud.ownerKey,
        body: { offlineGraceHours: 24, name: 'Front desk' },
      }),
    );
    const cleared = await call(
      handlers.terminal,
      httpEvent('PATCH /v1/printers/{printerId}', {
        pathParameters: { printerId: 'tm-1' },
        token: cloud.ownerKey,
        body: { offlineGraceHours: null },
      }),
    );
    const byPrinter = await call(
      handlers.terminal,
      httpEvent('PATCH /v1/printers/{printerId}', {
        pathParameters: { printerId: 'tm-1' },
        token,
        body: { offlineGraceHours: 1 },
      }),
    );
    const empty = await call(
      handlers.terminal,
      httpEvent('PATCH /v1/printers/{printerId}', {
        pathParameters: { printerId: 'tm-1' },
        token: cloud.ownerKey,
        body: {},
      }),
    );
    const unknown = await call(
      handlers.terminal,
      httpEvent('PATCH /v1/printers/{printerId}', {
        pathParameters: { printerId: 'tm-nope' },
        token: cloud.ownerKey,
        body: { name: 'x' },
      }),
    );
    // Assess
    expect(set.body).toMatchObject({ offlineGraceHours: 24, name: 'Front desk' });
    expect(cleared.body.offlineGraceHours).toBeNull();
    expect(byPrinter.status).toBe(403);
    expect(empty.status).toBe(400);
    expect(unknown.status).toBe(404);
  });
});

describe('share keys: create, list, revoke', () => {
  const shareKeys = (printerId: string, token: string) =>
    call(
      handlers.terminal,
      httpEvent('GET /v1/printers/{printerId}/share-keys', { pathParameters: { printerId }, token }),
    );
  const revoke = (printerId: string, keyId: string, token: string) =>
    call(
      handlers.terminal,
      httpEvent('DELETE /v1/printers/{printerId}/share-keys/{keyId}', {
        pathParameters: { printerId, keyId },
        token,
      }),
    );
  const seePrinter = (printerId: string, token: string) =>
    call(
      handlers.terminal,
      httpEvent('GET /v1/printers/{printerId}', { pathParameters: { printerId }, token }),
    );

  it('lists the keys of a printer by keyId (never the secret) and revokes one: its secret then answers 401', async () => {
    // Prepare
    const created = await call(
      handlers.terminal,
      httpEvent('POST /v1/printers/{printerId}/share-keys', {
        pathParameters: { printerId: 'tm-1' },
        token: cloud.ownerKey,
        body: { label: 'Front desk' },
      }),
    );
    const other = await call(
      handlers.terminal,
      httpEvent('POST /v1/printers/{printerId}/share-keys', {
        pathParameters: { printerId: 'tm-1' },
        token: cloud.ownerKey,
      }),
    );
    const secret = String(created.body.shareKey);
    const keyId = String(created.body.keyId);
    // Act
    const before = await shareKeys('tm-1', cloud.ownerKey);
    const usable = await seePrinter('tm-1', secret);
    const revoked = await revoke('tm-1', keyId, cloud.ownerKey);
    const after = await shareKeys('tm-1', cloud.ownerKey);
    const refused = await seePrinter('tm-1', secret);
    const again = await revoke('tm-1', keyId, cloud.ownerKey);
    const kept = await seePrinter('tm-1', String(other.body.shareKey));
    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      shareKey: secret,
      keyId: expect.stringMatching(/^sk_[A-Za-z0-9_-]{16}$/),
      printerId: 'tm-1',
      createdAt: expect.any(String),
      label: 'Front desk',
      ippUri: expect.stringMatching(new RegExp(`^ipp://[^/]+:\\d+/ipp/tm-1/${keyId}/[A-Za-z0-9_-]{43}$`)),
      inviteUrl: `http://cloud.test/#invite=${secret}`,
    });
    expect(before.status).toBe(200);
    expect(before.body.shareKeys).toContainEqual({
      keyId,
      createdAt: created.body.createdAt,
      label: 'Front desk',
      ippUri: created.body.ippUri,
    });
    expect(before.body.shareKeys).toContainEqual({
      keyId: other.body.keyId,
      createdAt: other.body.createdAt,
      ippUri: other.body.ippUri,
    });
    expect(created.body.ippUri).not.toContain(secret);
    expect(before.text).not.toContain(secret);
    expect(before.text).not.toContain('secretHash');
    expect(usable.status).toBe(200);
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe('');
    expect((after.body.shareKeys as { keyId: string }[]).map((k) => k.keyId)).not.toContain(keyId);
    expect(refused.status).toBe(401);
    expect(again.status).toBe(404);
    expect(kept.status).toBe(200);
  });

  it('lets only the owner list or revoke, and hides keys of other printers (404)', async () => {
    // Prepare
    const created = await call(
      handlers.terminal,
      httpEvent('POST /v1/printers/{printerId}/share-keys', {
        pathParameters: { printerId: 'tm-2' },
        token: cloud.ownerKey,
      }),
    );
    const secret = String(created.body.shareKey);
    const keyId = String(created.body.keyId);
    // Act
    const listByShare = await shareKeys('tm-2', secret);
    const revokeByShare = await revoke('tm-2', keyId, secret);
    const wrongPrinter = await revoke('tm-1', keyId, cloud.ownerKey);
    const unknownPrinter = await shareKeys('tm-nope', cloud.ownerKey);
    const badLabel = await call(
      handlers.terminal,
      httpEvent('POST /v1/printers/{printerId}/share-keys', {
        pathParameters: { printerId: 'tm-2' },
        token: cloud.ownerKey,
        body: { label: '' },
      }),
    );
    // Assess
    expect(listByShare.status).toBe(403);
    expect(revokeByShare.status).toBe(403);
    expect(wrongPrinter.status).toBe(404);
    expect(unknownPrinter.status).toBe(404);
    expect(badLabel.status).toBe(400);
    expect((await seePrinter('tm-2', secret)).status).toBe(200);
  });

  it('shows a share key its own ippUri on its printer, the owner none', async () => {
    // Prepare
    const created = await call(
      handlers.terminal,
      httpEvent('POST /v1/printers/{printerId}/share-keys', {
        pathParameters: { printerId: 'tm-2' },
        token: cloud.ownerKey,
        body: { label: 'Laptop' },
      }),
    );
    // Act
    const byShare = await seePrinter('tm-2', String(created.body.shareKey));
    const byOwner = await seePrinter('tm-2', cloud.ownerKey);
    // Assess
    expect(byShare.status).toBe(200);
    expect(byShare.body.ippUri).toBe(created.body.ippUri);
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).not.toHaveProperty('ippUri');
  });
});

describe('printer commands', () => {
  it('records accepting-jobs and status from the printer and answers the public record', async () => {
    // Act
    const stop = await call(
      handlers.printerCommands,
      httpEvent('PUT /v1/printers/{printerId}/accepting-jobs', {
        pathParameters: { printerId: 'tm-1' },
        token,
        body: { acceptingJobs: false, reason: 'toner-empty' },
      }),
    );
    const status = await call(
      handlers.printerCommands,
      httpEvent('PUT /v1/printers/{printerId}/status', {
        pathParameters: { printerId: 'tm-1' },
        token,
        body: { state: 'stopped', reasons: ['toner-empty'], supplies: { toner: 0, paper: 120 } },
      }),
    );
    const badState = await call(
      handlers.printerCommands,
      httpEvent('PUT /v1/printers/{printerId}/status', {
        pathParameters: { printerId: 'tm-1' },
        token,
        body: { state: 'asleep' },
      }),
    );
    const byOwner = await call(
      handlers.printerCommands,
      httpEvent('PUT /v1/printers/{printerId}/accepting-jobs', {
        pathParameters: { printerId: 'tm-1' },
        token: cloud.ownerKey,
        body: { acceptingJobs: true },
      }),
    );
    // Assess
    expect(stop.status).toBe(200);
    expect(stop.body).toMatchObject({
      acceptingJobs: false,
      acceptingReason: 'toner-empty',
      acceptingSetBy: 'printer',
    });
    expect(stop.body).not.toHaveProperty('tokenHash');
    expect(status.body).toMatchObject({
      state: 'stopped',
      reasons: ['toner-empty'],
      supplies: { toner: 0, paper: 120 },
    });
    expect(badState.status).toBe(400);
    expect(badState.body.field).toBe('body.state');
    expect(byOwner.status).toBe(404);
  });

  it('answers 404 for an unknown route key', async () => {
    // Act
    const answer = await call(handlers.terminal, httpEvent('GET /v2/nothing'));
    // Assess
    expect(answer.status).toBe(404);
  });
});

describe('invites and the accepting answer for the app', () => {
  it('answers a new share key with an invite URL that carries the key only in its fragment', async () => {
    // Act
    const created = await call(
      handlers.terminal,
      httpEvent('POST /v1/printers/{printerId}/share-keys', {
        pathParameters: { printerId: 'tm-1' },
        token: cloud.ownerKey,
        body: { label: 'Grandma' },
      }),
    );

    // Assess
    expect(created.status).toBe(201);
    const invite = new URL(String(created.body.inviteUrl));
    expect(`${invite.origin}${invite.pathname}`).toBe('http://cloud.test/');
    expect(invite.search).toBe('');
    expect(invite.hash).toBe(`#invite=${created.body.shareKey}`);
    expect(created.headers['referrer-policy']).toBe('no-referrer');
    expect(created.headers['cache-control']).toBe('no-store');
  });

  it('tells whether a print request would be accepted now, and why not', async () => {
    // Prepare
    await registerPrinter(handlers, cloud, 'tm-app', { accepting: true });
    await registerPrinter(handlers, cloud, 'tm-new');
    // Act
    const accepting = await call(
      handlers.terminal,
      httpEvent('GET /v1/printers/{printerId}', {
        pathParameters: { printerId: 'tm-app' },
        token: cloud.ownerKey,
      }),
    );
    const paused = await call(
      handlers.terminal,
      httpEvent('GET /v1/printers/{printerId}', {
        pathParameters: { printerId: 'tm-new' },
        token: cloud.ownerKey,
      }),
    );

    // Assess
    expect(accepting.body).toMatchObject({ acceptsNow: true, refusalReason: null });
    expect(paused.body).toMatchObject({ acceptingJobs: false, acceptsNow: false, refusalReason: 'paused' });
  });
});
