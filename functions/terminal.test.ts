import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, httpEvent, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, registerPrinter } from './testing/flows.ts';

type Handler = Parameters<typeof call>[0];
let cloud: TestCloud;
let handlers: Handlers & { terminal: Handler };
let token: string;

beforeAll(async () => {
  cloud = await startTestCloud({ WS_URL: 'wss://ws.example.test/prod' });
  handlers = {
    register: (await import('./register/handler.ts')).handler,
    printerCommands: (await import('./printer-commands/handler.ts')).handler,
    terminal: (await import('./terminal/handler.ts')).handler,
  };
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
