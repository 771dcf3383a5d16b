/**
 * Test support for handler tests: the local cloud's engines (local/engines.ts: dynalite and the local S3,
 * in memory or a temporary dir, on free loopback ports) with the tables of core/tables.ts and the bucket, and the
 * environment the handlers read, set before any handler module is imported. Each test file runs in
 * its own worker and gets its own engines.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ENV } from '../../core/config.ts';
import { hashSecret } from '../../core/secrets.ts';
import { engineEnvironment, startDynamo, startS3 } from '../../local/engines.ts';
import { DOCUMENTS_BUCKET } from '../../local/names.ts';

export interface TestCloud {
  ownerKey: string;
  bucket: string;
  dynamoEndpoint: string;
  s3Endpoint: string;
  stop(): Promise<void>;
}

export async function startTestCloud(extraEnv: Record<string, string> = {}): Promise<TestCloud> {
  const dynamo = await startDynamo();
  const s3 = await startS3(DOCUMENTS_BUCKET).catch(async (error: unknown) => {
    await dynamo.stop();
    throw error;
  });
  const ownerKey = `owner-${randomBytes(16).toString('hex')}`;
  Object.assign(process.env, {
    ...engineEnvironment(dynamo, s3),
    [ENV.ownerKeyHash]: hashSecret(ownerKey),
    [ENV.wsUrl]: 'ws://127.0.0.1:1/ws',
    [ENV.wsCallbackUrl]: 'http://127.0.0.1:1',
    [ENV.publicApiUrl]: 'http://cloud.test',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    ...extraEnv,
  });
  return {
    ownerKey,
    bucket: DOCUMENTS_BUCKET,
    dynamoEndpoint: dynamo.endpoint,
    s3Endpoint: s3.endpoint,
    async stop() {
      await s3.stop();
      await dynamo.stop();
    },
  };
}

export interface EventInput {
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Uint8Array | object;
  token?: string;
}

/** An HTTP API payload-v2 event shaped like test/fixtures/apigw/http-api-v2-request.json. */
export function httpEvent(routeKey: string, input: EventInput = {}): APIGatewayProxyEventV2 {
  const [method = 'GET', template = '/'] = routeKey.split(' ');
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => input.pathParameters?.[name] ?? '');
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.headers ?? {})) headers[key.toLowerCase()] = value;
  if (input.token) headers.authorization = `Bearer ${input.token}`;
  let body: string | undefined;
  let isBase64Encoded = false;
  if (input.body instanceof Uint8Array) {
    body = Buffer.from(input.body).toString('base64');
    isBase64Encoded = true;
  } else if (typeof input.body === 'string') {
    body = input.body;
  } else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    headers['content-type'] ??= 'application/json';
  }
  const rawQueryString = new URLSearchParams(input.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString,
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      domainName: 'id.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'id',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.168.0.1', userAgent: 'vitest' },
      requestId: randomBytes(8).toString('hex'),
      routeKey,
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: Date.now(),
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded,
  };
}

export const lambdaContext = {
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'req',
  logGroupName: 'g',
  logStreamName: 's',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown> & { error?: string; message?: string };
  text: string;
}

type AnyHandler = (event: never, context: Context) => Promise<unknown>;

/** Calls a handler and parses its JSON answer. */
export async function call(handler: AnyHandler, event: unknown): Promise<Answer> {
  const result = (await handler(event as never, lambdaContext)) as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
  };
  const text = result.body ?? '';
  const headers = result.headers ?? {};
  const isJson = (headers['content-type'] ?? '').includes('json');
  return { status: result.statusCode, headers, body: isJson && text ? JSON.parse(text) : {}, text };
}
