import { describe, expect, it } from 'vitest';
import { type HttpResult, httpHandler, type RouteHandler } from './http.ts';
import { HANDLERS, HTTP_ROUTES, type HttpHandlerName, NON_HTTP_HANDLERS, routeKey } from './routes.ts';
import { call, httpEvent } from './testing/cloud.ts';

const ok: RouteHandler = async (): Promise<HttpResult> => ({ statusCode: 200, body: 'ok' });

describe('route tables typed from functions/routes.ts', () => {
  it('type-checks only the exact route set of the named handler (tsc runs over this file)', async () => {
    // Prepare: the right table, and wrong ones tsc must refuse (each @ts-expect-error fails tsc if it compiles)
    const right = httpHandler<'printer-commands'>({
      'PUT /v1/printers/{printerId}/accepting-jobs': ok,
      'PUT /v1/printers/{printerId}/status': ok,
    });
    // @ts-expect-error a route is missing
    httpHandler<'printer-commands'>({ 'PUT /v1/printers/{printerId}/accepting-jobs': ok });
    httpHandler<'printer-commands'>({
      'PUT /v1/printers/{printerId}/accepting-jobs': ok,
      // @ts-expect-error a misspelled route
      'PUT /v1/printer/{printerId}/status': ok,
    });
    httpHandler<'printer-commands'>({
      'PUT /v1/printers/{printerId}/accepting-jobs': ok,
      'PUT /v1/printers/{printerId}/status': ok,
      // @ts-expect-error another handler's route
      'GET /v1/config': ok,
    });
    // @ts-expect-error no handler named: no key is allowed
    httpHandler({ 'GET /v1/config': ok });
    // Act
    const served = await call(right, httpEvent('PUT /v1/printers/{printerId}/status'));
    const unknown = await call(right, httpEvent('GET /v1/config'));
    // Assess
    expect(served.status).toBe(200);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not-found', message: 'No such route' });
  });
});

describe('every route of HTTP_ROUTES has its handler', () => {
  const notHttp: readonly string[] = NON_HTTP_HANDLERS;
  const served = Object.keys(HANDLERS).filter((name): name is HttpHandlerName => !notHttp.includes(name));

  it.each(served)('functions/%s/handler.ts serves exactly its routes', async (name) => {
    // Prepare
    const expected = HTTP_ROUTES.filter((route) => route.fn === name).map(routeKey);
    // Act
    const module = (await import(`./${name}/handler.ts`)) as { handler: { routeKeys: readonly string[] } };
    // Assess
    expect(expected.length).toBeGreaterThan(0);
    expect([...module.handler.routeKeys].sort()).toEqual(expected.sort());
  });
});
