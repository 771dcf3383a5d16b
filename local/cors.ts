/**
 * The HTTP API's CORS behaviour (functions/routes.ts HTTP_CORS, the same settings infra/ gives API
 * Gateway): a preflight is answered by the gateway itself, for any path, without reaching a handler;
 * an actual request that carries `Origin` gets the allow-origin and expose headers added.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HTTP_CORS } from '../functions/routes.ts';

/** `OPTIONS` with `Origin` and `Access-Control-Request-Method`: API Gateway's preflight. */
export function isPreflight(method: string, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && !!headers.origin && !!headers['access-control-request-method'];
}

export function preflightHeaders(): Record<string, string> {
  return {
    'access-control-allow-origin': HTTP_CORS.allowOrigins.join(','),
    'access-control-allow-methods': HTTP_CORS.allowMethods.join(','),
    'access-control-allow-headers': HTTP_CORS.allowHeaders.join(','),
    'access-control-max-age': String(HTTP_CORS.maxAgeSeconds),
  };
}

/** Added to a handler's answer when the request came with `Origin`. */
export function responseCorsHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  if (!headers.origin) return {};
  return {
    'access-control-allow-origin': HTTP_CORS.allowOrigins.join(','),
    'access-control-expose-headers': HTTP_CORS.exposeHeaders.join(','),
  };
}
