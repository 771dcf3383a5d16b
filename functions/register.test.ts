import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenIdOf } from '../core/connection.ts';
import { hashSecret } from '../core/secrets.ts';
import { call, httpEvent, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, loadHandlers, registerPrinter } from './testing/flows.ts';

let cloud: TestCloud;
let handlers: Handlers;
/** A stand-in for API Gateway's @connections API: records posts and deletes. */
let connections: Server;
const connectionCalls: Array<{ method: string; url: string; body: string }> = [];

beforeAll(async () => {
  connections = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      connectionCalls.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => connections.listen(0, '127.0.0.1', resolve));
  cloud = await startTestCloud({
    POLL_INTERVAL_SECONDS: '1',
    WS_CALLBACK_URL: `http://127.0.0.1:${(connections.address() as AddressInfo).port}`,
  });
  handlers = await loadHandlers();
});

afterAll(async () => {
  await cloud?.stop();
  await new Promise((resolve) => connections?.close(resolve));
});

async function start(printerId: string) {
  const answer = await call(
    handlers.register,
    httpEvent('POST /v1/registrations', { body: { printerId, name: 'Office' } }),
  );
  expect(answer.status).toBe(201);
  return answer.body as {
    registrationId: string;
    pin: string;
    pollToken: string;
    claimUrl: string;
    expiresAt: string;
    interval: number;
  };
}

function poll(registrationId: string, token?: string) {
  return call(
    handlers.register,
    httpEvent('GET /v1/registrations/{registrationId}', {
      pathParameters: { registrationId },
      ...(token ? { token } : {}),
    }),
  );
}

function claim(body: object, token = cloud.ownerKey) {
  return call(handlers.register, httpEvent('POST /v1/claims', { token, body }));
}

describe('POST /v1/registrations', () => {
  it('answers 201 with a PIN, claim URL, poll token, expiry and interval', async () => {
    // Act
    const started = await start('reg-fields');
    // Assess
    expect(started.pin).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    expect(started.claimUrl).toBe(`http://cloud.test/claim/${started.registrationId}`);
    expect(started.pollToken.length).toBeGreaterThanOrEqual(22);
    expect(started.interval).toBe(1);
    expect(Date.parse(started.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('refuses a bad printerId, a missing body and malformed JSON with 400 naming the problem', async () => {
    // Act
    const badId = await call(
      handlers.register,
      httpEvent('POST /v1/registrations', { body: { printerId: 'a b' } }),
    );
    const missing = await call(handlers.register, httpEvent('POST /v1/registrations', { body: {} }));
    const malformed = await call(
      handlers.register,
      httpEvent('POST /v1/registrations', {
        body: '{"printerId":',
        headers: { 'content-type': 'application/json' },
      }),
    );
    // Assess
    expect(badId.status).toBe(400);
    expect(badId.body.field).toBe('body.printerId');
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('body.printerId: is required');
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/^Malformed JSON body/);
  });
});

describe('the register → claim → poll flow', () => {
  it('hands over the access token once, after the owner claims with the PIN', async () => {
    // Prepare
    const started = await start('flow-1');
    // Act
    const before = await poll(started.registrationId, started.pollToken);
    const claimed = await claim({
      registrationId: started.registrationId,
      pin: started.pin.toLowerCase().replace('-', ''),
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const complete = await poll(started.registrationId, started.pollToken);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const again = await poll(started.registrationId, started.pollToken);
    // Assess
    expect(before.body).toEqual({ status: 'pending' });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toEqual({ printerId: 'flow-1' });
    expect(complete.body.status).toBe('complete');
    expect(complete.body.printerId).toBe('flow-1');
    expect(typeof complete.body.accessToken).toBe('string');
    expect(again.status).toBe(410);
    expect(again.body.status).toBe('expired');
  });

  it('creates the printer not accepting jobs (reason paused) until its first acceptance instruction', async () => {
    // Prepare
    await registerPrinter(handlers, cloud, 'flow-new');
    // Act
    const printer = await call(
      handlers.terminal,
      httpEvent('GET /v1/printers/{printerId}', {
        pathParameters: { printerId: 'flow-new' },
        token: cloud.ownerKey,
      }),
    );
    // Assess
    expect(printer.body.acceptingJobs).toBe(false);
    expect(printer.body.acceptingReason).toBe('paused');
    expect(printer.body).not.toHaveProperty('tokenHash');
  });

  it('answers slow_down (429) to a poll faster than the interval', async () => {
    // Prepare
    const started = await start('slow-1');
    await poll(started.registrationId, started.pollToken);
    // Act
    const fast = await poll(started.registrationId, started.pollToken);
    // Assess
    expect(fast.status).toBe(429);
    expect(fast.body.error).toBe('slow_down');
  });

  it('answers 401 without a poll token and 404 with a wrong one', async () => {
    // Prepare
    const started = await start('poll-auth');
    // Act
    const none = await poll(started.registrationId);
    const wrong = await poll(started.registrationId, 'not-the-token');
    const unknown = await poll('rNoSuchRegistration', started.pollToken);
    // Assess
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(404);
    expect(unknown.status).toBe(404);
  });
});

describe('POST /v1/claims', () => {
  it('needs the owner key: none → 401, an access token → 403', async () => {
    // Prepare
    const started = await start('claim-auth');
    const access = await registerPrinter(handlers, cloud, 'claim-auth-other');
    // Act
    const none = await call(handlers.register, httpEvent('POST /v1/claims', { body: { pin: started.pin } }));
    const printer = await claim({ registrationId: started.registrationId, pin: started.pin }, access);
    // Assess
    expect(none.status).toBe(401);
    expect(printer.status).toBe(403);
  });

  it('ends a registration after five wrong PINs', async () => {
    // Prepare
    const started = await start('claim-wrong');
    const wrongPin = started.pin === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA';
    // Act
    const answers = [];
    for (let i = 0; i < 5; i++)
      answers.push(await claim({ registrationId: started.registrationId, pin: wrongPin }));
    const right = await claim({ registrationId: started.registrationId, pin: started.pin });
    // Assess
    expect(answers.slice(0, 4).map((a) => a.status)).toEqual([403, 403, 403, 403]);
    expect(answers[0]?.body.attemptsLeft).toBe(4);
    expect(answers[4]?.status).toBe(410);
    expect(right.status).toBe(410);
  });

  it('finds the registration by PIN alone', async () => {
    // Prepare
    const started = await start('claim-pin-only');
    // Act
    const claimed = await claim({ pin: started.pin });
    const unknownPin = await claim({ pin: '2222-2222' });
    // Assess
    expect(claimed.status).toBe(200);
    expect(claimed.body.printerId).toBe('claim-pin-only');
    expect(unknownPin.status).toBe(403);
  });
});

describe('GET /claim pages', () => {
  it('serves an HTML page with labelled owner key and PIN fields naming the registration', async () => {
    // Act
    const page = await call(
      handlers.register,
      httpEvent('GET /claim/{registrationId}', { pathParameters: { registrationId: 'rAbc123' } }),
    );
    const plain = await call(handlers.register, httpEvent('GET /claim'));
    // Assess
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<label for="ownerKey">');
    expect(page.text).toContain('<label for="pin">');
    expect(page.text).toContain('value="rAbc123"');
    expect(page.text).toContain('"/v1/claims"');
    expect(plain.status).toBe(200);
    expect(plain.text).not.toContain('name="registrationId"');
  });
});

describe('re-registering an existing printer', () => {
  it('replaces the old token and revokes the old push connection', async () => {
    // Prepare
    const oldToken = await registerPrinter(handlers, cloud, 'rereg-1', { accepting: true });
    await handlers.connect(
      {
        requestContext: {
          routeKey: '$connect',
          eventType: 'CONNECT',
          connectionId: 'old-conn',
          authorizer: { printerId: 'rereg-1', tokenId: tokenIdOf(hashSecret(oldToken)) },
        },
      } as never,
      {} as never,
    );
    connectionCalls.length = 0;
    // Act
    const newToken = await registerPrinter(handlers, cloud, 'rereg-1');
    const withOld = await call(
      handlers.printerCommands,
      httpEvent('PUT /v1/printers/{printerId}/status', {
        pathParameters: { printerId: 'rereg-1' },
        token: oldToken,
        body: { state: 'idle' },
      }),
    );
    const withNew = await call(
      handlers.printerCommands,
      httpEvent('PUT /v1/printers/{printerId}/status', {
        pathParameters: { printerId: 'rereg-1' },
        token: newToken,
        body: { state: 'idle' },
      }),
    );
    // Assess
    expect(newToken).not.toBe(oldToken);
    expect(withOld.status).toBe(401);
    expect(withNew.status).toBe(200);
    expect(connectionCalls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /@connections/old-conn',
      'DELETE /@connections/old-conn',
    ]);
    expect(JSON.parse(connectionCalls[0]?.body ?? '{}')).toEqual({ type: 'revoked' });
    expect(withNew.body.online).toBe(false);
  });
});
