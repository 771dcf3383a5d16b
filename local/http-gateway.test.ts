import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_CORS } from '../functions/routes.ts';
import { type HttpGateway, MAX_BODY_BYTES, MAX_EVENT_BYTES, startHttpGateway } from './http-gateway.ts';
import { warmLoader } from './lambda.ts';
import type { Logger } from './log.ts';
import { type FakeHandlers, fakeHandlers } from './testing/fake-handlers.ts';
import { shapeDifferences } from './testing/shape.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../test/fixtures/apigw/http-api-v2-request.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** A raw request, so repeated headers and cookies go out exactly as written. */
function rawRequest(
  url: string,
  method: string,
  headers: [string, string][],
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // a flat header list sends repeated names as written; it adds no Host of its own
    const all: [string, string][] = [['Host', new URL(url).host], ...headers];
    const req = request(url, { method, headers: all.flat() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local HTTP gateway', () => {
  let gateway: HttpGateway;
  let fake: FakeHandlers;
  const errors: string[] = [];
  const logger: Logger = { info: () => {}, error: (message) => errors.push(message) };

  beforeAll(async () => {
    fake = fakeHandlers();
    gateway = await startHttpGateway({
      port: 0,
      load: warmLoader(fake.load),
      stageVariables: { stageVariable1: 'value1' },
      logger,
    });
  });
  afterAll(() => gateway.stop());

  async function echoed(path: string, init: RequestInit = {}) {
    const res = await fetch(`${gateway.url}${path}`, init);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown> & {
      requestContext: Record<string, unknown> & { http: Record<string, unknown> };
      headers: Record<string, string>;
    };
  }

  it('builds a payload 2.0 event with every key and kind of value of the AWS fixture', async () => {
    const res = await rawRequest(
      `${gateway.url}/v1/printers/P%201/jobs?parameter1=value1&parameter1=value2&parameter2=value`,
      'POST',
      [
        ['Header1', 'value1'],
        ['Header2', 'value1'],
        ['Header2', 'value2'],
        ['Cookie', 'cookie1=a; cookie2=b'],
        ['Content-Type', 'application/json'],
        ['User-Agent', 'agent'],
      ],
      '{"message": "hello world", "username": "tom"}',
    );
    expect(res.status).toBe(200);
    const event = JSON.parse(res.body.toString()) as Record<string, unknown> & {
      headers: Record<string, string>;
      requestContext: Record<string, unknown> & { http: Record<string, unknown> };
    };
    expect(shapeDifferences(fixture, event)).toEqual([]);
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /v1/printers/{printerId}/jobs');
    expect(event.rawPath).toBe('/v1/printers/P%201/jobs');
    expect(event.rawQueryString).toBe('parameter1=value1&parameter1=value2&parameter2=value');
    expect(event.queryStringParameters).toEqual({ parameter1: 'value1,value2', parameter2: 'value' });
    expect(event.pathParameters).toEqual({ printerId: 'P 1' });
    expect(event.cookies).toEqual(['cookie1=a', 'cookie2=b']);
    expect(event.headers.header1).toBe('value1');
    expect(event.headers.header2).toBe('value1,value2');
    expect(event.headers.cookie).toBeUndefined();
    expect(Object.keys(event.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(event.body).toBe('{"message": "hello world", "username": "tom"}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.stageVariables).toEqual({ stageVariable1: 'value1' });
    const ctx = event.requestContext;
    expect(ctx.routeKey).toBe('POST /v1/printers/{printerId}/jobs');
    expect(ctx.stage).toBe('$default');
    expect(ctx.http).toMatchObject({
      method: 'POST',
      path: '/v1/printers/P%201/jobs',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: 'agent',
    });
    expect(ctx.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(Math.abs(Number(ctx.timeEpoch) - Date.now())).toBeLessThan(10_000);
    expect(res.headers['apigw-requestid']).toBe(ctx.requestId);
  });

  it('leaves out query, cookies, path parameters and body when the request has none, as AWS does', async () => {
    const event = await echoed('/v1/printers');
    expect(event.routeKey).toBe('GET /v1/printers');
    expect(event.rawQueryString).toBe('');
    for (const key of ['queryStringParameters', 'cookies', 'pathParameters', 'body'])
      expect(event).not.toHaveProperty(key);
    expect(event.isBase64Encoded).toBe(false);
  });

  it('routes by method and path, with every path parameter', async () => {
    expect((await echoed('/v1/printers/P1/jobs/J9/fetch', { method: 'POST' })).pathParameters).toEqual({
      printerId: 'P1',
      jobId: 'J9',
    });
    expect((await echoed('/v1/printers/P1/jobs/J9', { method: 'DELETE' })).routeKey).toBe(
      'DELETE /v1/printers/{printerId}/jobs/{jobId}',
    );
    expect((await echoed('/claim')).routeKey).toBe('GET /claim');
    expect((await echoed('/claim/R42')).pathParameters).toEqual({ registrationId: 'R42' });
    expect(fake.of('jobs/handler').length).toBeGreaterThanOrEqual(2);
    expect(fake.of('register/handler').length).toBeGreaterThanOrEqual(2);
  });

  it('answers 404 {"message":"Not Found"} for an unknown path or a method the route does not have', async () => {
    const before = fake.calls.length;
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/v1/printers'],
      ['GET', '/v1/printers/'],
      ['GET', '/v1/printers/P1/jobs/J1/extra'],
    ] as const) {
      const res = await fetch(`${gateway.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not Found' });
    }
    expect(fake.calls.length).toBe(before);
  });

  it('base64-encodes binary bodies and form posts, passes text and JSON as text', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x0a]);
    const png = await echoed('/v1/printers/P1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: bytes,
    });
    expect(png.isBase64Encoded).toBe(true);
    expect(Buffer.from(String(png.body), 'base64')).toEqual(bytes);

    const form = await echoed('/v1/claims', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'pin=ABCD-EFGH',
    });
    expect(form.isBase64Encoded).toBe(true);
    expect(Buffer.from(String(form.body), 'base64').toString()).toBe('pin=ABCD-EFGH');

    const text = await echoed('/v1/claims', {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'héllo',
    });
    expect(text).toMatchObject({ isBase64Encoded: false, body: 'héllo' });
  });

  it('reads a chunked body sent after Expect: 100-continue, as CUPS sends IPP requests', async () => {
    // Prepare: a raw socket, so the client waits for the interim answer as CUPS does
    const socket = connect(gateway.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
    };
    // Act
    socket.write(
      'POST /v1/printers/P1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ipp\r\n' +
        'Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    );
    await until(() => received.includes('100 Continue'));
    const continued = received;
    socket.write('5\r\n\x02\x00\x00\x0b\x00\r\n3\r\n\x00\x00\x01\r\n0\r\n\r\n', 'latin1');
    await new Promise((resolve) => socket.once('close', resolve));
    // Assess
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    const [head = '', body = ''] = received.slice(continued.length).split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    const event = JSON.parse(body) as { body: string; isBase64Encoded: boolean };
    expect(event.isBase64Encoded).toBe(true);
    expect([...Buffer.from(event.body, 'base64')]).toEqual([2, 0, 0, 11, 0, 0, 0, 1]);
  });

  it('refuses a body over 10 MB with 413 before any handler runs, declared or streamed', async () => {
    const before = fake.calls.length;
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 1);
    const declared = await fetch(`${gateway.url}/v1/printers/P1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ message: 'Request Entity Too Large' });

    const chunk = Buffer.alloc(1024 * 1024, 2);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await fetch(`${gateway.url}/v1/printers/P1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(fake.calls.length).toBe(before);
  });

  it('refuses a body whose event would exceed Lambda’s 6 MB (a 4.8 MB PDF), and hands on one that fits', async () => {
    // Prepare
    const before = fake.calls.length;
    const over = Buffer.alloc(4_800_000, 3);
    const fits = Buffer.alloc(4_600_000, 3);

    // Act
    const refused = await fetch(`${gateway.url}/v1/printers/P1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: over,
    });
    const refusedBody = await refused.json();
    const afterRefusal = fake.calls.length;
    const echoedEvent = await echoed('/v1/printers/P1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: fits,
    });

    // Assess
    expect(over.length).toBeLessThan(MAX_BODY_BYTES);
    expect(Math.ceil(over.length / 3) * 4).toBeGreaterThan(MAX_EVENT_BYTES);
    expect(refused.status).toBe(413);
    expect(refusedBody).toEqual({ message: 'Request Entity Too Large' });
    expect(afterRefusal).toBe(before);
    expect(Buffer.from(String(echoedEvent.body), 'base64').length).toBe(fits.length);
  });

  it('answers 500 {"message":"Internal Server Error"} when a handler throws, and logs it', async () => {
    fake.set('printer-commands/handler', async () => {
      throw new Error('kaboom');
    });
    const res = await fetch(`${gateway.url}/v1/printers/P1/status`, { method: 'PUT', body: '{}' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    expect(errors.some((e) => e.includes('PUT /v1/printers/{printerId}/status'))).toBe(true);
  });

  it('writes structured results: status, headers, cookies, base64 bodies', async () => {
    const pdf = Buffer.from('%PDF-1.7\n\u0000\u00ff binary', 'latin1');
    fake.set('terminal/handler', async () => ({
      statusCode: 201,
      headers: { 'Content-Type': 'application/pdf', 'X-Poll-Interval': 5 },
      cookies: ['a=1; Path=/', 'b=2'],
      body: pdf.toString('base64'),
      isBase64Encoded: true,
    }));
    const res = await rawRequest(`${gateway.url}/v1/config`, 'GET', []);
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['x-poll-interval']).toBe('5');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect(res.body).toEqual(pdf);
  });

  it('treats a result without statusCode as a 200 JSON body (format 2.0 rules)', async () => {
    fake.set('terminal/handler', async () => ({ hello: 'world' }));
    const object = await fetch(`${gateway.url}/v1/printers/P1`);
    expect(object.status).toBe(200);
    expect(object.headers.get('content-type')).toBe('application/json');
    expect(await object.json()).toEqual({ hello: 'world' });

    fake.set('terminal/handler', async () => 'plain words');
    const text = await fetch(`${gateway.url}/v1/printers/P1`);
    expect(text.status).toBe(200);
    expect(await text.text()).toBe('plain words');
  });

  it('loads each handler module once, like a warm Lambda', async () => {
    await echoed('/v1/registrations/R1');
    await echoed('/v1/registrations/R2');
    expect(fake.loads.get('register/handler')).toBe(1);
  });

  it('answers CORS preflights itself, for any path, as the HTTP API configured with HTTP_CORS does', async () => {
    // Prepare
    const before = fake.calls.length;
    // Act
    const preflight = await fetch(`${gateway.url}/v1/printers/P1/jobs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://elsewhere.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    const anywhere = await fetch(`${gateway.url}/nope`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' },
    });
    const actual = await fetch(`${gateway.url}/v1/config`, {
      headers: { origin: 'https://elsewhere.example' },
    });
    const sameOrigin = await fetch(`${gateway.url}/v1/config`);
    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe(HTTP_CORS.allowMethods.join(','));
    expect(preflight.headers.get('access-control-allow-headers')).toBe(HTTP_CORS.allowHeaders.join(','));
    expect(preflight.headers.get('access-control-max-age')).toBe(String(HTTP_CORS.maxAgeSeconds));
    expect(anywhere.status).toBe(204);
    expect(fake.calls.length).toBe(before + 2);
    expect(actual.headers.get('access-control-allow-origin')).toBe('*');
    expect(actual.headers.get('access-control-expose-headers')).toBe(HTTP_CORS.exposeHeaders.join(','));
    expect(sameOrigin.headers.get('access-control-allow-origin')).toBeNull();
  });
});
