/**
 * Hostile JSON bodies (issue 6, finding 1): numbers DynamoDB cannot hold, huge strings, deep nesting and
 * huge maps are refused with 400 / 413 naming the field, never 500, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, httpEvent, startTestCloud, type TestCloud } from './testing/cloud.ts';
import { type Handlers, loadHandlers, registerPrinter } from './testing/flows.ts';

let cloud: TestCloud;
let handlers: Handlers;
let token: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  handlers = await loadHandlers();
  token = await registerPrinter(handlers, cloud, 'hj-1');
});

afterAll(async () => {
  await cloud?.stop();
});

function register(body: string) {
  return call(
    handlers.register,
    httpEvent('POST /v1/registrations', { body, headers: { 'content-type': 'application/json' } }),
  );
}

function status(body: string) {
  return call(
    handlers.printerCommands,
    httpEvent('PUT /v1/printers/{printerId}/status', {
      pathParameters: { printerId: 'hj-1' },
      token,
      body,
      headers: { 'content-type': 'application/json' },
    }),
  );
}

const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('POST /v1/registrations with hostile capabilities', () => {
  it.each([
    [
      'a number beyond 2^53',
      '{"printerId":"hj-2","capabilities":{"n":9007199254740993}}',
      400,
      'body.capabilities.n',
    ],
    ['1e308', '{"printerId":"hj-2","capabilities":{"n":1e308}}', 400, 'body.capabilities.n'],
    [
      'a tiny number DynamoDB cannot hold',
      '{"printerId":"hj-2","capabilities":{"n":1e-200}}',
      400,
      'body.capabilities.n',
    ],
    [
      'a 20 KB string',
      `{"printerId":"hj-2","capabilities":{"s":"${'x'.repeat(20_000)}"}}`,
      400,
      'body.capabilities.s',
    ],
    ['a 500 KB string', `{"printerId":"hj-2","capabilities":{"s":"${'x'.repeat(500_000)}"}}`, 413, 'body'],
    [
      '12-deep nesting',
      `{"printerId":"hj-2","capabilities":${deep(12)}}`,
      400,
      'body.capabilities.a.a.a.a.a.a.a.a',
    ],
    [
      '5,000-deep nesting',
      `{"printerId":"hj-2","capabilities":${deep(5000)}}`,
      400,
      'body.capabilities.a.a.a.a.a.a.a.a',
    ],
  ])('answers %s with %s naming the field', async (_, body, statusCode, field) => {
    // Act
    const answer = await register(body);
    // Assess
    expect(answer.status).toBe(statusCode);
    expect(answer.body.field).toBe(field);
    expect(String(answer.body.message)).toContain(field);
  });

  it('still takes ordinary capabilities', async () => {
    // Act
    const answer = await register(
      JSON.stringify({
        printerId: 'hj-3',
        capabilities: { color: true, media: ['iso_a4_210x297mm'], resolution: { x: 600, y: 600 }, ppm: 20.5 },
      }),
    );
    // Assess
    expect(answer.status).toBe(201);
  });
});

describe('PUT /v1/printers/{printerId}/status with hostile supplies', () => {
  it.each([
    ['{"toner": 1e308}', '{"state":"idle","supplies":{"toner":1e308}}', 400, 'body.supplies.toner'],
    ['{"toner": 1e-200}', '{"state":"idle","supplies":{"toner":1e-200}}', 400, 'body.supplies.toner'],
    [
      '50,000 keys',
      JSON.stringify({
        state: 'idle',
        supplies: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 1])),
      }),
      413,
      'body',
    ],
    [
      '100 keys',
      JSON.stringify({
        state: 'idle',
        supplies: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 1])),
      }),
      400,
      'body.supplies',
    ],
  ])('answers %s with %s naming the field', async (_, body, statusCode, field) => {
    // Act
    const answer = await status(body);
    // Assess
    expect(answer.status).toBe(statusCode);
    expect(answer.body.field).toBe(field);
  });

  it('still takes ordinary supplies', async () => {
    // Act
    const answer = await status('{"state":"idle","supplies":{"toner":12.5,"paper":250,"unknown":-1}}');
    // Assess
    expect(answer.status).toBe(200);
  });
});
