/**
 * Test support for handler tests: a real dynalite and a real fauxqs (S3) on free loopback ports,
 * the tables from core/tables.ts and the bucket, and the environment the handlers read, set before
 * any handler module is imported. Each test file gets its own (names carry a random suffix).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { ENV } from '../../core/config.ts';
import { hashSecret } from '../../core/secrets.ts';
import { TABLES } from '../../core/tables.ts';

export interface TestCloud {
  ownerKey: string;
  bucket: string;
  dynamoEndpoint: string;
  s3Endpoint: string;
  stop(): Promise<void>;
}

export async function startTestCloud(extraEnv: Record<string, string> = {}): Promise<TestCloud> {
  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', () => resolve()));
  const dynamoEndpoint = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  const s3 = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const s3Endpoint = `http://127.0.0.1:${s3.port}`;
  const suffix = randomBytes(4).toString('hex');
  const bucket = `docs-${suffix}`;
  s3.createBucket(bucket);

  const ownerKey = `owner-${randomBytes(16).toString('hex')}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    [ENV.documentsBucket]: bucket,
    [ENV.ownerKeyHash]: hashSecret(ownerKey),
    [ENV.wsUrl]: 'ws://127.0.0.1:1/ws',
    [ENV.wsCallbackUrl]: 'http://127.0.0.1:1',
    [ENV.publicApiUrl]: 'http://cloud.test',
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    ...extraEnv,
  });
  const client = new DynamoDBClient({ endpoint: dynamoEndpoint });
  for (const table of TABLES) {
    const name = `${table.name}-${suffix}`;
    process.env[table.env] = name;
    const keys = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k, AttributeType: 'S' })),
        KeySchema: keys.map((k, i) => ({ AttributeName: k, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      }),
    );
  }
  client.destroy();
  return {
    ownerKey,
    bucket,
    dynamoEndpoint,
    s3Endpoint,
    async stop() {
      await s3.stop();
      await new Promise<void>((resolve) => db.close(() => resolve()));
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

/** An HTTP API payload-v2 event shaped like /work/shared/fixtures/apigw/http-api-v2-request.json. */
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
