import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenIdOf } from '../core/connection.ts';
import { hashSecret } from '../core/secrets.ts';
import authorizerFixture from '../test/fixtures/apigw/websocket-connect-authorizer-request.json' with {
  type: 'json',
};
import { call, httpEvent, lambdaContext, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, loadHandlers, registerPrinter, setAccepting } from './testing/flows.ts';

let cloud: TestCloud;
let handlers: Handlers;
let token: string;
let jpeg: Buffer;
/** Each printer's access token: a socket carries its tokenId in the authorizer context. */
const tokens = new Map<string, string>();

beforeAll(async () => {
  cloud = await startTestCloud();
  handlers = await loadHandlers();
  token = await registerPrinter(handlers, cloud, 'ws-1', { accepting: true });
  tokens.set('ws-1', token);
  jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: 'green' } })
    .jpeg()
    .toBuffer();
});

afterAll(async () => {
  await cloud?.stop();
});

/** A WebSocket event as API Gateway delivers it after the authorizer allowed `$connect`. */
function wsEvent(routeKey: string, connectionId: string, printerId = 'ws-1', body?: string) {
  return {
    requestContext: {
      routeKey,
      eventType: routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE',
      connectionId,
      domainName: 'abcdef123.execute-api.us-east-1.amazonaws.com',
      stage: 'default',
      apiId: 'abcdef123',
      requestId: 'r',
      connectedAt: Date.now(),
      requestTimeEpoch: Date.now(),
      messageDirection: 'IN',
      extendedRequestId: 'x',
      identity: { sourceIp: '192.0.2.1' },
      authorizer: { printerId, tokenId: tokenIdOf(hashSecret(tokens.get(printerId) ?? '')) },
    },
    isBase64Encoded: false,
    ...(body ? { body } : {}),
  };
}

async function ws(routeKey: string, connectionId: string, body?: string) {
  return (await handlers.connect(wsEvent(routeKey, connectionId, 'ws-1', body) as never, lambdaContext)) as {
    statusCode: number;
    body?: string;
  };
}

async function printer(printerId = 'ws-1') {
  const answer = await call(
    handlers.terminal,
    httpEvent('GET /v1/printers/{printerId}', { pathParameters: { printerId }, token: cloud.ownerKey }),
  );
  return answer.body;
}

function authorize(headers: Record<string, string>) {
  return handlers.authorizer({ ...authorizerFixture, headers } as never, lambdaContext) as Promise<{
    principalId: string;
    policyDocument: { Statement: Array<{ Effect: string; Resource: string }> };
    context?: { printerId: string; tokenId: string };
  }>;
}

describe('connect/authorizer', () => {
  it('allows an access token with the printer id in the context', async () => {
    // Act
    const result = await authorize({ Authorization: `Bearer ${token}` });
    // Assess
    expect(result.principalId).toBe('ws-1');
    expect(result.policyDocument.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Resource: authorizerFixture.methodArn,
    });
    expect(result.context).toEqual({ printerId: 'ws-1', tokenId: tokenIdOf(hashSecret(token)) });
  });

  it('denies a bad token or the owner key, and throws Unauthorized without a header', async () => {
    // Act
    const bad = await authorize({ authorization: 'Bearer nope' });
    const owner = await authorize({ authorization: `Bearer ${cloud.ownerKey}` });
    // Assess
    expect(bad.policyDocument.Statement[0]?.Effect).toBe('Deny');
    expect(owner.policyDocument.Statement[0]?.Effect).toBe('Deny');
    await expect(authorize({})).rejects.toThrow('Unauthorized');
  });
});

describe('connect/handler', () => {
  it('records the connection on $connect and clears it on $disconnect without touching acceptingJobs', async () => {
    // Prepare
    await setAccepting(handlers, token, 'ws-1', true);
    // Act
    const connected = await ws('$connect', 'c-1');
    const whileOpen = await printer();
    await ws('$disconnect', 'c-1');
    const afterClose = await printer();
    // Assess
    expect(connected.statusCode).toBe(200);
    expect(whileOpen).toMatchObject({
      online: true,
      mode: 'push',
      acceptingJobs: true,
      lastDisconnect: null,
    });
    expect(afterClose).toMatchObject({ online: false, acceptingJobs: true, lastDisconnect: 'lost' });
  });

  it('keeps a not-accepting printer not accepting across connect and disconnect', async () => {
    // Prepare
    await setAccepting(handlers, token, 'ws-1', false, 'paused');
    // Act
    await ws('$connect', 'c-2');
    const whileOpen = await printer();
    await ws('$disconnect', 'c-2');
    const afterClose = await printer();
    // Assess
    expect(whileOpen.acceptingJobs).toBe(false);
    expect(afterClose.acceptingJobs).toBe(false);
  });

  it('records goodbye as a deliberate close, and ignores the $disconnect of a replaced connection', async () => {
    // Prepare
    await ws('$connect', 'c-3');
    // Act
    const bye = await ws('goodbye', 'c-3', '{"action":"goodbye"}');
    await ws('$disconnect', 'c-3');
    const afterGoodbye = await printer();
    await ws('$connect', 'c-4');
    await ws('$connect', 'c-5');
    await ws('$disconnect', 'c-4');
    const afterStale = await printer();
    // Assess
    expect(bye.statusCode).toBe(200);
    expect(afterGoodbye.lastDisconnect).toBe('goodbye');
    expect(afterStale).toMatchObject({ online: true, lastDisconnect: null });
  });

  it('refuses unknown actions with a 400 JSON error, a heartbeat that reaches it too (the gateway answers those)', async () => {
    // Act
    const unknown = await ws('$default', 'c-5', '{"action":"dance"}');
    const beat = await ws('heartbeat', 'c-5', '{"action":"heartbeat"}');
    // Assess
    expect(unknown.statusCode).toBe(400);
    expect(JSON.parse(unknown.body ?? '{}').error).toBe('unknown-action');
    expect(beat).toEqual(unknown);
  });

  it('refuses the late $connect of a socket opened before the current one, keeping the newer connection', async () => {
    // Prepare: c-new is recorded; c-old was opened a second earlier but its $connect runs only now
    const newer = wsEvent('$connect', 'c-new');
    await handlers.connect(newer as never, lambdaContext);
    const stale = wsEvent('$connect', 'c-old');
    stale.requestContext.connectedAt = newer.requestContext.connectedAt - 1000;
    // Act
    const answer = (await handlers.connect(stale as never, lambdaContext)) as { statusCode: number };
    await ws('$disconnect', 'c-old');
    const after = await printer();
    // Assess: the abandoned socket's close does not make the printer look lost
    expect(answer.statusCode).toBe(409);
    expect(after).toMatchObject({ mode: 'push', lastDisconnect: null });
  });
});

describe("the owner's offline grace", () => {
  it('refuses with reason offline once a lost printer stays away longer than the grace', async () => {
    // Prepare: a printer whose connection was lost, with a grace so short it has passed
    const grace = await registerPrinter(handlers, cloud, 'ws-grace', { accepting: true });
    tokens.set('ws-grace', grace);
    const patched = await call(
      handlers.terminal,
      httpEvent('PATCH /v1/printers/{printerId}', {
        pathParameters: { printerId: 'ws-grace' },
        token: cloud.ownerKey,
        body: { offlineGraceHours: 0.0003 },
      }),
    );
    await handlers.connect(wsEvent('$connect', 'g-1', 'ws-grace') as never, lambdaContext);
    await handlers.connect(wsEvent('$disconnect', 'g-1', 'ws-grace') as never, lambdaContext);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const submit = () =>
      call(
        handlers.print,
        httpEvent('POST /v1/printers/{printerId}/jobs', {
          pathParameters: { printerId: 'ws-grace' },
          token: cloud.ownerKey,
          body: jpeg,
          headers: { 'content-type': 'image/jpeg' },
        }),
      );
    // Act
    const refused = await submit();
    await handlers.connect(wsEvent('$connect', 'g-2', 'ws-grace') as never, lambdaContext);
    const back = await submit();
    // Assess
    expect(patched.status).toBe(200);
    expect(patched.body.offlineGraceHours).toBe(0.0003);
    expect(refused.status).toBe(503);
    expect(refused.body.reason).toBe('offline');
    expect(back.status).toBe(202);
    expect(grace).toBeTruthy();
  });
});

describe('connect/handler errors: the one error mapping of functions/http.ts', () => {
  it('answers an event without a printer 401 and a store failure 500 with the fixed body, as HTTP routes do', async () => {
    // Prepare: no authorizer context; a printer id DynamoDB refuses as a key (over 2048 bytes)
    const anonymous = wsEvent('$default', 'c-err');
    anonymous.requestContext.authorizer = {} as { printerId: string; tokenId: string };
    const oversized = wsEvent('goodbye', 'c-err', 'p'.repeat(3000));
    // Act
    const refused = (await handlers.connect(anonymous as never, lambdaContext)) as {
      statusCode: number;
      body: string;
    };
    const failed = (await handlers.connect(oversized as never, lambdaContext)) as {
      statusCode: number;
      body: string;
    };
    // Assess
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({
      error: 'unauthorized',
      message: 'No printer for this connection',
    });
    expect(failed.statusCode).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ error: 'internal', message: 'Internal server error' });
  });
});
