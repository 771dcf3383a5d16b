import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as schemas from '../core/schemas.ts';
import { openApiDocument, ROUTE_DOCS, routeKey } from './openapi.ts';
import { HTTP_ROUTES } from './routes.ts';
import { call, httpEvent, startTestCloud, type TestCloud } from './testing/cloud.ts';

type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
  security?: unknown[];
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; servers?: { url: string }[] };

const doc = openApiDocument('https://api.example.test') as Doc;
const operationOf = (method: string, path: string) => doc.paths[path]?.[method.toLowerCase()];

describe('openApiDocument', () => {
  it('describes every HTTP route with its method and path parameters, and nothing else', () => {
    // Act
    const described = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );

    // Assess
    expect(described.sort()).toEqual(HTTP_ROUTES.map(routeKey).sort());
    expect(Object.keys(ROUTE_DOCS).sort()).toEqual(HTTP_ROUTES.map(routeKey).sort());
    for (const route of HTTP_ROUTES) {
      const operation = operationOf(route.method, route.path);
      const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (operation?.parameters ?? []).filter((p) => p.in === 'path');
      expect(
        declared.map((p) => p.name),
        routeKey(route),
      ).toEqual(inPath);
      for (const parameter of declared) expect(parameter.required).toBe(true);
    }
    const ids = HTTP_ROUTES.map((r) => operationOf(r.method, r.path)?.operationId);
    expect(new Set(ids).size).toBe(HTTP_ROUTES.length);
  });

  it('takes request bodies, queries and path parameters from the zod schemas', () => {
    // Prepare
    const fromZod = (schema: z.ZodType) => {
      const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
      return rest;
    };

    // Act
    const claim = operationOf('POST', '/v1/claims');
    const print = operationOf('POST', '/v1/printers/{printerId}/jobs');
    const job = operationOf('GET', '/v1/printers/{printerId}/jobs/{jobId}');

    // Assess
    expect(claim?.requestBody?.content['application/json']?.schema).toEqual(fromZod(schemas.claimBodySchema));
    expect(claim?.requestBody?.required).toBe(true);
    expect(print?.requestBody?.content['application/json']?.schema).toEqual(
      fromZod(schemas.uploadJobBodySchema),
    );
    expect(Object.keys(print?.requestBody?.content ?? {})).toEqual(
      expect.arrayContaining(['image/*', 'application/pdf']),
    );
    const media = print?.parameters?.find((p) => p.name === 'media');
    expect(media).toMatchObject({ in: 'query', required: false });
    expect(media?.schema.enum).toEqual(['iso_a4_210x297mm', 'na_letter_8.5x11in']);
    expect(print?.parameters?.find((p) => p.name === 'Idempotency-Key')?.in).toBe('header');
    expect(job?.parameters?.find((p) => p.name === 'printerId')?.schema).toEqual(
      fromZod(schemas.printerIdSchema),
    );
    expect(operationOf('POST', '/v1/printers/{printerId}/share-keys')?.requestBody?.required).toBe(false);
    expect(operationOf('GET', '/v1/config')?.security).toEqual([]);
    expect(operationOf('DELETE', '/v1/printers/{printerId}/share-keys/{keyId}')?.responses).toHaveProperty(
      '204',
    );
  });

  it('is a valid OpenAPI 3.1 document, and the validator does catch a broken one', async () => {
    // Prepare
    const broken = structuredClone(doc) as Doc;
    // `in: body` is OpenAPI 2, not 3.1
    const parameter = broken.paths['/v1/printers/{printerId}']?.get?.parameters?.[0];
    if (parameter) parameter.in = 'body';

    // Act
    const valid = await new Validator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    const invalid = await new Validator().validate(broken as unknown as Record<string, unknown>);

    // Assess
    expect(doc.openapi).toBe('3.1.0');
    expect(valid.errors).toBeUndefined();
    expect(valid.valid).toBe(true);
    expect(invalid.valid).toBe(false);
  });
});

describe('GET /openapi.json', () => {
  let cloud: TestCloud;
  let terminal: Parameters<typeof call>[0];

  beforeAll(async () => {
    cloud = await startTestCloud();
    terminal = (await import('./terminal/handler.ts')).handler;
  });

  afterAll(async () => {
    await cloud?.stop();
  });

  it('serves the document without auth, naming the API it came from', async () => {
    // Act
    const answer = await call(terminal, httpEvent('GET /openapi.json'));

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const served = answer.body as unknown as Doc;
    expect(served.openapi).toBe('3.1.0');
    expect(served.servers).toEqual([{ url: 'http://cloud.test' }]);
    expect(Object.keys(served.paths)).toContain('/v1/printers/{printerId}/jobs');
  });
});
