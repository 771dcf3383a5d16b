/**
 * The one table of what the cloud serves: which handler module answers which route.
 * The CDK stacks (infra/) and the local API Gateway (local/) both read it, so a route
 * exists in both places or in neither.
 *
 * Each `fn` names a folder under functions/ whose `handler.ts` exports `handler`.
 */

export const HANDLERS = {
  /** GET /v1/config, GET /v1/printers, share keys, owner settings, webhooks, /openapi.json. */
  terminal: { memoryMb: 256, timeoutSeconds: 10 },
  /** PIN registration, claim page, claims, registration polling (token issue). */
  register: { memoryMb: 256, timeoutSeconds: 10 },
  /** accepting-jobs and status updates from the printer. */
  'printer-commands': { memoryMb: 256, timeoutSeconds: 10 },
  /** Print, fax and scan requests, and uploads: the only handler that converts documents (sharp + pdf-lib). */
  'print-request': { memoryMb: 2048, timeoutSeconds: 29 },
  /** Job listing, fetch, state updates, a scan's upload URL, terminal job view and cancel. */
  jobs: { memoryMb: 256, timeoutSeconds: 10 },
  /** The IPP door (RFC 8011) at each share key's capability URL; converts documents like print-request. */
  ipp: { memoryMb: 2048, timeoutSeconds: 29 },
  /** WebSocket $connect / $disconnect / goodbye / $default (the heartbeat never reaches it: WS_MOCK_ROUTES). */
  connect: { memoryMb: 256, timeoutSeconds: 10 },
  /** Webhook deliveries, started by new delivery items (DynamoDB stream); retries wait inside, hence the time. */
  'webhook-delivery': { memoryMb: 256, timeoutSeconds: 120 },
  /** The web app's static files (web/), the manifest, the service worker and the share target. */
  app: { memoryMb: 256, timeoutSeconds: 10 },
  /** Uploads above Settings.asyncConversionBytes, converted when they arrive (S3 event): room for 100 MB. */
  'convert-upload': { memoryMb: 3008, timeoutSeconds: 300 },
} as const;

export type HandlerName = keyof typeof HANDLERS;

/**
 * Functions X-Ray does not trace (pass-through: only a request that arrives sampled is traced, and neither API
 * Gateway samples): the printers' steady traffic (heartbeats, listings, fetches), where a trace per request
 * would be most of an idle printer's cost ($5 per million).
 */
export const UNTRACED_HANDLERS: ReadonlySet<HandlerName> = new Set<HandlerName>(['connect', 'jobs']);

/** Handlers started by something other than an HTTP route (the WebSocket API, the webhooks table's stream, S3 events). */
export const NON_HTTP_HANDLERS = [
  'connect',
  'webhook-delivery',
  'convert-upload',
] as const satisfies readonly HandlerName[];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRoute {
  method: HttpMethod;
  /** API Gateway route path, `{name}` for a path parameter. */
  path: string;
  fn: Exclude<HandlerName, (typeof NON_HTTP_HANDLERS)[number]>;
}

export const HTTP_ROUTES = [
  { method: 'GET', path: '/v1/config', fn: 'terminal' },
  { method: 'GET', path: '/v1/printers', fn: 'terminal' },
  { method: 'GET', path: '/v1/printers/{printerId}', fn: 'terminal' },
  { method: 'PATCH', path: '/v1/printers/{printerId}', fn: 'terminal' },
  { method: 'POST', path: '/v1/printers/{printerId}/share-keys', fn: 'terminal' },
  { method: 'GET', path: '/v1/printers/{printerId}/share-keys', fn: 'terminal' },
  { method: 'DELETE', path: '/v1/printers/{printerId}/share-keys/{keyId}', fn: 'terminal' },
  { method: 'GET', path: '/openapi.json', fn: 'terminal' },
  { method: 'POST', path: '/v1/webhooks', fn: 'terminal' },
  { method: 'GET', path: '/v1/webhooks', fn: 'terminal' },
  { method: 'DELETE', path: '/v1/webhooks/{webhookId}', fn: 'terminal' },
  { method: 'GET', path: '/v1/webhooks/{webhookId}/deliveries', fn: 'terminal' },

  { method: 'POST', path: '/v1/registrations', fn: 'register' },
  { method: 'GET', path: '/v1/registrations/{registrationId}', fn: 'register' },
  { method: 'POST', path: '/v1/claims', fn: 'register' },
  { method: 'GET', path: '/claim', fn: 'register' },
  { method: 'GET', path: '/claim/{registrationId}', fn: 'register' },

  { method: 'PUT', path: '/v1/printers/{printerId}/accepting-jobs', fn: 'printer-commands' },
  { method: 'PUT', path: '/v1/printers/{printerId}/status', fn: 'printer-commands' },

  { method: 'POST', path: '/v1/printers/{printerId}/jobs', fn: 'print-request' },
  { method: 'POST', path: '/v1/printers/{printerId}/uploads', fn: 'print-request' },
  { method: 'POST', path: '/v1/printers/{printerId}/scans', fn: 'print-request' },
  { method: 'POST', path: '/v1/printers/{printerId}/faxes', fn: 'print-request' },

  { method: 'GET', path: '/v1/printers/{printerId}/jobs', fn: 'jobs' },
  { method: 'GET', path: '/v1/printers/{printerId}/jobs/{jobId}', fn: 'jobs' },
  { method: 'DELETE', path: '/v1/printers/{printerId}/jobs/{jobId}', fn: 'jobs' },
  { method: 'POST', path: '/v1/printers/{printerId}/jobs/{jobId}/fetch', fn: 'jobs' },
  { method: 'PUT', path: '/v1/printers/{printerId}/jobs/{jobId}/state', fn: 'jobs' },
  { method: 'POST', path: '/v1/printers/{printerId}/jobs/{jobId}/scan-upload', fn: 'jobs' },

  { method: 'GET', path: '/', fn: 'app' },
  { method: 'GET', path: '/manifest.webmanifest', fn: 'app' },
  { method: 'GET', path: '/sw.js', fn: 'app' },
  { method: 'GET', path: '/app/{asset}', fn: 'app' },
  { method: 'POST', path: '/share', fn: 'app' },
  { method: 'POST', path: '/ipp/{printerId}/{keyId}/{token}', fn: 'ipp' },
  { method: 'GET', path: '/ipp/{printerId}/{keyId}/{token}', fn: 'ipp' },
] as const satisfies readonly HttpRoute[];

/** A handler module serving HTTP routes. */
export type HttpHandlerName = HttpRoute['fn'];

type KeyOf<R> = R extends { method: infer M extends string; path: infer P extends string }
  ? `${M} ${P}`
  : never;

/**
 * `"METHOD /path"` (API Gateway's routeKey) of every route `F` serves, from HTTP_ROUTES: a handler's
 * table typed with it (functions/http.ts `httpHandler<F>`) fails tsc when a route is missing or misspelled.
 */
export type RouteKey<F extends HttpHandlerName = HttpHandlerName> = KeyOf<
  Extract<(typeof HTTP_ROUTES)[number], { fn: F }>
>;

/** The route key of an entry of HTTP_ROUTES. */
export function routeKey(route: HttpRoute): string {
  return `${route.method} ${route.path}`;
}

/**
 * The HTTP API's CORS answer (API Gateway's corsPreflight), read by infra/ and mirrored by the local
 * gateway. Browser terminals on other origins call with a bearer secret, never with cookies.
 */
export const HTTP_CORS = {
  allowOrigins: ['*'],
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-none-match'],
  exposeHeaders: ['x-poll-interval', 'etag'],
  maxAgeSeconds: 86_400,
} as const;

/** WebSocket routes (route selection `$request.body.action`): functions/connect serves all but WS_MOCK_ROUTES. */
export const WS_ROUTES = ['$connect', '$disconnect', '$default', 'heartbeat', 'goodbye'] as const;
export type WsRoute = (typeof WS_ROUTES)[number];

const MOCK_ROUTES = ['heartbeat'] as const satisfies readonly WsRoute[];

/**
 * Routes API Gateway answers itself (a MOCK integration, no route response): no Lambda, no database, no
 * reply. A heartbeat only keeps the socket inside the 10-minute idle timeout: a revoked socket is closed
 * by the re-registration itself (core/registration.ts), and lastSeenAt is not read while connected
 * (core/accepting.ts) and written exactly at $disconnect. Each heartbeat is still one billed message.
 */
export const WS_MOCK_ROUTES: ReadonlySet<string> = new Set<string>(MOCK_ROUTES);
/** A route no Lambda serves: functions/connect's table covers exactly `Exclude<WsRoute, MockRoute>`. */
export type MockRoute = (typeof MOCK_ROUTES)[number];

/** The REQUEST authorizer on `$connect`: functions/connect/authorizer.ts exports `handler`. */
export const WS_AUTHORIZER = {
  module: 'connect/authorizer',
  identitySource: 'route.request.header.Authorization',
} as const;
