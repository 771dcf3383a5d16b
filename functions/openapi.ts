/**
 * The OpenAPI 3.1 description of the REST API, made from the one route table (functions/routes.ts) and
 * the zod schemas (core/schemas.ts, through zod's own `z.toJSONSchema`): routes, methods and path
 * parameters come from HTTP_ROUTES, request bodies and queries from the schemas. What the table cannot
 * say (a summary, who may call, the success status) is in ROUTE_DOCS below, keyed by route key; a test
 * (functions/openapi.test.ts) keeps the two in step.
 */
import { z } from 'zod';
import * as schemas from '../core/schemas.ts';
import { HTTP_ROUTES, type HttpRoute, type RouteKey } from './routes.ts';

/** Who may call a route: `terminal` = the owner key, or a share key of that printer. */
export type RouteAuth = 'none' | 'owner' | 'terminal' | 'printer' | 'poll' | 'any';

type SchemaName = keyof typeof schemas;
type Named<Suffix extends string> = {
  [K in SchemaName]: K extends `${string}${Suffix}` ? K : never;
}[SchemaName];

export interface RouteDoc {
  summary: string;
  auth: RouteAuth;
  /** The JSON request body's schema in core/schemas.ts. */
  body?: Named<'BodySchema'>;
  /** A body that may be left out (share keys: the contract's form sends none). */
  bodyOptional?: true;
  /** The query's schema in core/schemas.ts. */
  query?: Named<'QuerySchema' | 'OptionsSchema'>;
  /** The body may be a document (image or PDF bytes) instead of JSON. */
  document?: true;
  /** The success status (default 200). */
  status?: 200 | 201 | 202 | 204;
  /** The success answer is an HTML page. */
  html?: true;
}

/** Per route key (`"GET /v1/config"`): what the route table does not say; a route left out fails tsc. */
export const ROUTE_DOCS: Record<RouteKey, RouteDoc> = {
  'GET /': { summary: 'The web app (print, own printers, share them)', auth: 'none', html: true },
  'GET /manifest.webmanifest': { summary: "The web app's manifest (PWA, share target)", auth: 'none' },
  'GET /sw.js': { summary: "The web app's service worker", auth: 'none' },
  'GET /app/{asset}': { summary: "One of the web app's static files", auth: 'none' },
  'POST /share': {
    summary: 'The share target fallback page (the service worker keeps shared files in the browser)',
    auth: 'none',
    html: true,
  },
  'POST /ipp/{printerId}/{keyId}/{token}': {
    summary: 'The IPP door: an IPP request (application/ipp, RFC 8010) to the printer of a share key',
    auth: 'none',
    document: true,
  },
  'GET /ipp/{printerId}/{keyId}/{token}': {
    summary: "The IPP printer's more-info page: how to add it (its AirPrint profile with ?profile=airprint)",
    auth: 'none',
    html: true,
  },
  'GET /v1/config': { summary: 'Discovery: the WebSocket URL and API version', auth: 'none' },
  'GET /v1/printers': { summary: 'List the printers the caller may see', auth: 'any' },
  'GET /v1/printers/{printerId}': { summary: 'One printer', auth: 'any' },
  'PATCH /v1/printers/{printerId}': {
    summary: 'Owner settings: name, offline grace',
    auth: 'owner',
    body: 'printerSettingsBodySchema',
  },
  'POST /v1/printers/{printerId}/share-keys': {
    summary: 'Create a share key for one printer',
    auth: 'owner',
    body: 'shareKeyBodySchema',
    bodyOptional: true,
    status: 201,
  },
  'GET /v1/printers/{printerId}/share-keys': { summary: "List a printer's share keys", auth: 'owner' },
  'DELETE /v1/printers/{printerId}/share-keys/{keyId}': {
    summary: 'Revoke a share key',
    auth: 'owner',
    status: 204,
  },
  'GET /openapi.json': { summary: 'This description of the API', auth: 'none' },
  'POST /v1/webhooks': {
    summary: 'Register a webhook (its signing secret is answered only here)',
    auth: 'owner',
    body: 'webhookBodySchema',
    status: 201,
  },
  'GET /v1/webhooks': { summary: 'List the webhooks', auth: 'owner' },
  'DELETE /v1/webhooks/{webhookId}': { summary: 'Remove a webhook', auth: 'owner', status: 204 },
  'GET /v1/webhooks/{webhookId}/deliveries': {
    summary: "A webhook's delivery log, newest first",
    auth: 'owner',
  },
  'POST /v1/registrations': {
    summary: 'A printer starts registering: PIN, claim URL, poll token',
    auth: 'none',
    body: 'registrationBodySchema',
    status: 201,
  },
  'GET /v1/registrations/{registrationId}': {
    summary: 'The printer polls its registration (the access token, once)',
    auth: 'poll',
  },
  'POST /v1/claims': { summary: 'Claim a printer by its PIN', auth: 'owner', body: 'claimBodySchema' },
  'GET /claim': { summary: 'Claim page (type the PIN)', auth: 'none', html: true },
  'GET /claim/{registrationId}': { summary: 'Claim page of one registration', auth: 'none', html: true },
  'PUT /v1/printers/{printerId}/accepting-jobs': {
    summary: 'The printer starts or stops accepting jobs',
    auth: 'printer',
    body: 'acceptingBodySchema',
  },
  'PUT /v1/printers/{printerId}/status': {
    summary: 'The printer reports its state, reasons and supplies',
    auth: 'printer',
    body: 'statusBodySchema',
  },
  'POST /v1/printers/{printerId}/jobs': {
    summary: 'Print a document (its bytes as the body), or an uploaded one (JSON)',
    auth: 'terminal',
    body: 'uploadJobBodySchema',
    query: 'printOptionsSchema',
    document: true,
    status: 202,
  },
  'POST /v1/printers/{printerId}/uploads': {
    summary: 'A presigned upload URL for a large document',
    auth: 'terminal',
    body: 'uploadBodySchema',
    status: 201,
  },
  'POST /v1/printers/{printerId}/scans': {
    summary: 'A scan job (multi-function device): the completed job view carries documentUrl, the scan',
    auth: 'terminal',
    body: 'scanBodySchema',
    status: 202,
  },
  'POST /v1/printers/{printerId}/faxes': {
    summary: 'A fax job: the document (as print accepts it) sent to ?to=<E.164 number>',
    auth: 'terminal',
    query: 'faxQuerySchema',
    document: true,
    status: 202,
  },
  'GET /v1/printers/{printerId}/jobs': {
    summary: "A printer's jobs (terminal: its own; printer: the fetchable ones)",
    auth: 'any',
  },
  'GET /v1/printers/{printerId}/jobs/{jobId}': { summary: 'One job', auth: 'any' },
  'DELETE /v1/printers/{printerId}/jobs/{jobId}': { summary: 'Cancel a job', auth: 'terminal' },
  'POST /v1/printers/{printerId}/jobs/{jobId}/fetch': {
    summary: 'The printer takes a job (lease) and gets its document URL',
    auth: 'printer',
  },
  'POST /v1/printers/{printerId}/jobs/{jobId}/scan-upload': {
    summary: 'The printer gets a fresh presigned PUT URL for the result of a scan job it holds',
    auth: 'printer',
  },
  'PUT /v1/printers/{printerId}/jobs/{jobId}/state': {
    summary: 'The printer reports a job state',
    auth: 'printer',
    body: 'jobStateBodySchema',
  },
};

const AUTH_TEXT: Record<RouteAuth, string> = {
  none: 'No authorization.',
  owner: 'Owner key.',
  terminal: 'Owner key, or a share key of this printer.',
  printer: "The printer's access token.",
  poll: "The registration's poll token.",
  any: 'Owner key, a share key of this printer, or its access token.',
};

export const routeKey = (route: Pick<HttpRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** Every export of core/schemas.ts by name. */
const SCHEMAS = new Map<string, unknown>(Object.entries(schemas));

/** `{printerId}` → its schema: every path parameter schema of core/schemas.ts, by name. */
function pathParameterSchemas(): Map<string, z.ZodType> {
  const found = new Map<string, z.ZodType>();
  for (const [name, value] of SCHEMAS) {
    if (!name.endsWith('ParamsSchema') || !(value instanceof z.ZodObject)) continue;
    for (const [param, schema] of Object.entries(value.shape as Record<string, z.ZodType>)) {
      found.set(param, schema);
    }
  }
  return found;
}

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what a caller sends. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

function schemaOf(name: SchemaName): z.ZodType {
  const schema = SCHEMAS.get(name);
  if (!(schema instanceof z.ZodType)) throw new Error(`core/schemas.ts ${name} is not a zod schema`);
  return schema;
}

const ERROR_RESPONSE = { $ref: '#/components/responses/Error' };

function operation(route: HttpRoute, params: Map<string, z.ZodType>): Record<string, unknown> {
  const key = routeKey(route);
  const doc: RouteDoc | undefined = (ROUTE_DOCS as Record<string, RouteDoc>)[key];
  if (!doc) throw new Error(`functions/openapi.ts has no ROUTE_DOCS entry for ${key}`);
  const parameters: Record<string, unknown>[] = [];
  for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) {
    const schema = params.get(name as string);
    parameters.push({
      name,
      in: 'path',
      required: true,
      schema: schema ? jsonSchema(schema) : { type: 'string' },
    });
  }
  if (doc.query) {
    const query = schemaOf(doc.query);
    const shape = query instanceof z.ZodObject ? (query.shape as Record<string, z.ZodType>) : {};
    const required = new Set((jsonSchema(query).required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries(shape)) {
      parameters.push({ name, in: 'query', required: required.has(name), schema: jsonSchema(schema) });
    }
  }
  if (route.method === 'POST' && route.path.endsWith('/jobs')) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: jsonSchema(schemas.idempotencyKeySchema),
    });
  }
  const content: Record<string, unknown> = {};
  if (doc.body) content['application/json'] = { schema: jsonSchema(schemaOf(doc.body)) };
  if (doc.document) {
    const bytes = { schema: { type: 'string', contentMediaType: 'application/octet-stream' } };
    content['image/*'] = bytes;
    content['application/pdf'] = bytes;
  }
  const status = String(doc.status ?? 200);
  const success =
    status === '204'
      ? { description: 'Done' }
      : {
          description: 'OK',
          content: doc.html
            ? { 'text/html': { schema: { type: 'string' } } }
            : { 'application/json': { schema: { type: 'object' } } },
        };
  return {
    operationId: operationId(route),
    summary: doc.summary,
    description: AUTH_TEXT[doc.auth],
    ...(doc.auth === 'none' ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(Object.keys(content).length ? { requestBody: { required: !doc.bodyOptional, content } } : {}),
    responses: { [status]: success, '4XX': ERROR_RESPONSE, '5XX': ERROR_RESPONSE },
  };
}

/** `POST /v1/printers/{printerId}/jobs` → `postPrintersByPrinterIdJobs`: unique per route. */
function operationId(route: HttpRoute): string {
  const words = route.path
    .split('/')
    .filter((part) => part && part !== 'v1')
    .map((part) => (part.startsWith('{') ? `by-${part.slice(1, -1)}` : part))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return [route.method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

/** The whole document. `serverUrl`: where this API is (the request's own base URL). */
export function openApiDocument(
  serverUrl?: string,
  routes: readonly HttpRoute[] = HTTP_ROUTES,
): Record<string, unknown> {
  const params = pathParameterSchemas();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = operation(route, params);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'cloudprint',
      version: '1',
      description:
        'Serverless cloud print intermediary. Generated from functions/routes.ts and core/schemas.ts; prose in docs/api.md.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'Owner key, share key, access token or poll token (docs/api.md, Conventions)',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: {
            error: { type: 'string', description: 'A code: bad-request, not-found, not-accepting-jobs, …' },
            message: { type: 'string' },
            field: { type: 'string', description: '400 only: the field at fault (`body.printerId`)' },
          },
          additionalProperties: true,
        },
      },
      responses: {
        Error: {
          description: 'An error (docs/api.md, Conventions)',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  };
}
