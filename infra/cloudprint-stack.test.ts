import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../core/config.ts';
import {
  DOCUMENT_RETENTION_DAYS as CORE_DOCUMENT_RETENTION_DAYS,
  FETCHABLE_DAYS,
} from '../core/retention.ts';
import { OPEN_JOBS_INDEX, TABLES } from '../core/tables.ts';
import { HANDLERS, HTTP_ROUTES, WS_AUTHORIZER, WS_MOCK_ROUTES, WS_ROUTES } from '../functions/routes.ts';
import { DOCUMENT_RETENTION_DAYS } from './data.ts';
import { CONVERTING_FUNCTIONS, FUNCTION_NAMES } from './functions.ts';
import { HTTP_THROTTLE } from './http-api.ts';
import { dispose, logicalId, ownResources, type Synthesized, synthesize } from './testing.ts';
import { WEBSOCKET_STAGE, WEBSOCKET_THROTTLE } from './websocket-api.ts';

let s: Synthesized;
// the template alone (bundles: infra/lambda-layout.test.ts); allow for a busy machine
beforeAll(() => {
  s = synthesize({ bundle: false });
}, 300_000);
afterAll(() => dispose(s));

type Props = Record<string, unknown>;
const propsOf = (type: string, match?: Props): Props[] =>
  Object.entries(s.template.findResources(type, match ? { Properties: match } : undefined))
    .filter(([id]) => ownResources(s.template, type).some(([own]) => own === id))
    .map(([, r]) => r.Properties as Props);
const integrationRef = (route: Props): string => {
  const target = route.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
  return target['Fn::Join'][1][1].Ref;
};
const functionArnOf = (name: (typeof FUNCTION_NAMES)[number]) => ({
  'Fn::GetAtt': [logicalId(s, s.stack.functions.byName[name]), 'Arn'],
});

describe('HTTP API', () => {
  it('has exactly one route per HTTP_ROUTES entry, each proxied to its own function with payload 2.0', () => {
    const apiRef = { Ref: logicalId(s, s.stack.httpApi.api) };
    const routes = propsOf('AWS::ApiGatewayV2::Route', { ApiId: apiRef });
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      HTTP_ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );

    const integrations = s.template.findResources('AWS::ApiGatewayV2::Integration');
    for (const route of HTTP_ROUTES) {
      const cfnRoute = routes.find((r) => r.RouteKey === `${route.method} ${route.path}`);
      if (!cfnRoute) throw new Error(`no route ${route.method} ${route.path}`);
      const integration = integrations[integrationRef(cfnRoute)]?.Properties as Props;
      expect(integration).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: functionArnOf(route.fn),
      });
    }
  });

  it('logs access to a log group, throttles by default and allows browser terminals (CORS)', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: {
        ThrottlingRateLimit: HTTP_THROTTLE.rateLimit,
        ThrottlingBurstLimit: HTTP_THROTTLE.burstLimit,
      },
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: ['*'],
        AllowHeaders: Match.arrayWith(['authorization', 'content-type', 'idempotency-key']),
        AllowMethods: Match.arrayWith(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
      },
    });
  });
});

describe('WebSocket API', () => {
  it('routes on $request.body.action, every WS route but the mock ones to the connect function', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
    const apiRef = { Ref: logicalId(s, s.stack.webSocketApi.api) };
    const routes = propsOf('AWS::ApiGatewayV2::Route', { ApiId: apiRef });
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...WS_ROUTES].sort());
    const integrations = s.template.findResources('AWS::ApiGatewayV2::Integration');
    const connectUri = JSON.stringify(functionArnOf('connect'));
    for (const route of routes.filter((r) => !WS_MOCK_ROUTES.has(String(r.RouteKey)))) {
      const uri = JSON.stringify(integrations[integrationRef(route)]?.Properties?.IntegrationUri);
      expect(uri).toContain(connectUri);
    }
  });

  it('answers the heartbeat at API Gateway: a MOCK integration, no Lambda, nothing sent back', () => {
    // Prepare
    const apiRef = { Ref: logicalId(s, s.stack.webSocketApi.api) };
    const routes = s.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: apiRef } });
    const integrations = s.template.findResources('AWS::ApiGatewayV2::Integration');
    const responses = propsOf('AWS::ApiGatewayV2::RouteResponse', { ApiId: apiRef });
    // Act
    const [id, route] = Object.entries(routes).find(([, r]) => r.Properties?.RouteKey === 'heartbeat') ?? [];
    const integration = integrations[integrationRef(route?.Properties ?? {})]?.Properties;
    // Assess
    expect(integration).toMatchObject({
      IntegrationType: 'MOCK',
      RequestTemplates: { $default: '{"statusCode": 200}' },
      TemplateSelectionExpression: '\\$default',
    });
    expect(integration?.IntegrationUri ?? '').toBe('');
    expect(route?.Properties?.RouteResponseSelectionExpression).toBeUndefined();
    expect(responses.filter((r) => JSON.stringify(r.RouteId) === JSON.stringify({ Ref: id }))).toEqual([]);
  });

  it('sends the handler answer back on every Lambda message route (goodbye-ack, unknown-action)', () => {
    const apiRef = { Ref: logicalId(s, s.stack.webSocketApi.api) };
    const routes = s.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: apiRef } });
    const responses = propsOf('AWS::ApiGatewayV2::RouteResponse', { ApiId: apiRef });
    const lambdaRoutes = WS_ROUTES.filter((key) => !WS_MOCK_ROUTES.has(key));
    for (const routeKey of lambdaRoutes.filter((key) => key !== '$connect' && key !== '$disconnect')) {
      const [id, route] = Object.entries(routes).find(([, r]) => r.Properties?.RouteKey === routeKey) ?? [];
      expect(route?.Properties?.RouteResponseSelectionExpression).toBe('$default');
      expect(responses).toContainEqual({ ApiId: apiRef, RouteId: { Ref: id }, RouteResponseKey: '$default' });
    }
  });

  it('runs the Lambda authorizer on $connect only, reading the Authorization header', () => {
    const apiRef = { Ref: logicalId(s, s.stack.webSocketApi.api) };
    const authorizers = s.template.findResources('AWS::ApiGatewayV2::Authorizer', {
      Properties: { ApiId: apiRef },
    });
    const [authorizerId, authorizer] = Object.entries(authorizers)[0] ?? [];
    expect(Object.keys(authorizers)).toHaveLength(1);
    expect(authorizer?.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: [WS_AUTHORIZER.identitySource],
    });
    expect(JSON.stringify(authorizer?.Properties?.AuthorizerUri)).toContain(
      JSON.stringify(functionArnOf('authorizer')),
    );

    for (const route of propsOf('AWS::ApiGatewayV2::Route', { ApiId: apiRef })) {
      if (route.RouteKey === '$connect') {
        expect(route).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
      } else {
        expect(route.AuthorizationType).toBe('NONE');
      }
    }
  });

  it('deploys its stage automatically with access logs and throttling', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: WEBSOCKET_STAGE,
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
      DefaultRouteSettings: {
        ThrottlingRateLimit: WEBSOCKET_THROTTLE.rateLimit,
        ThrottlingBurstLimit: WEBSOCKET_THROTTLE.burstLimit,
      },
    });
    // WebSocket access logs need the account's API Gateway CloudWatch role
    s.template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: Match.anyValue() });
  });
});

describe('functions', () => {
  it('has one function per HANDLERS entry plus the authorizer, all nodejs24.x on the default architecture (arm64)', () => {
    const functions = propsOf('AWS::Lambda::Function');
    expect(functions).toHaveLength(Object.keys(HANDLERS).length + 1);
    for (const fn of functions) {
      expect(fn).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/logs/) } },
      });
    }
  });

  it('traces every function but the printers’ steady traffic (connect, jobs: pass-through)', () => {
    for (const name of Object.keys(HANDLERS) as (keyof typeof HANDLERS)[]) {
      const id = logicalId(s, s.stack.functions.byName[name]);
      const fn = s.template.findResources('AWS::Lambda::Function')[id]?.Properties;
      const mode = name === 'connect' || name === 'jobs' ? 'PassThrough' : 'Active';
      expect(fn, name).toMatchObject({ TracingConfig: { Mode: mode } });
    }
  });

  it('sizes each function from HANDLERS', () => {
    for (const [name, size] of Object.entries(HANDLERS)) {
      const id = logicalId(s, s.stack.functions.byName[name as keyof typeof HANDLERS]);
      const fn = s.template.findResources('AWS::Lambda::Function')[id]?.Properties;
      expect(fn).toMatchObject({ MemorySize: size.memoryMb, Timeout: size.timeoutSeconds });
    }
  });

  it('gives every function the table names, bucket, WebSocket URLs and owner key ARN, and no PUBLIC_API_URL', () => {
    const wsApi = { Ref: logicalId(s, s.stack.webSocketApi.api) };
    for (const fn of propsOf('AWS::Lambda::Function')) {
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const table of TABLES) {
        expect(variables[table.env]).toEqual({ Ref: logicalId(s, s.stack.data.tables[table.name]) });
      }
      expect(variables[ENV.documentsBucket]).toEqual({ Ref: logicalId(s, s.stack.data.documents) });
      expect(variables[ENV.ownerKeySecretArn]).toEqual({ Ref: logicalId(s, s.stack.data.ownerKey) });
      expect(variables[ENV.wsCallbackUrl]).toEqual({
        'Fn::Join': [
          '',
          ['https://', wsApi, '.execute-api.eu-central-1.', { Ref: 'AWS::URLSuffix' }, `/${WEBSOCKET_STAGE}`],
        ],
      });
      expect(variables[ENV.wsUrl]).toEqual({
        'Fn::Join': [
          '',
          ['wss://', wsApi, '.execute-api.eu-central-1.', { Ref: 'AWS::URLSuffix' }, `/${WEBSOCKET_STAGE}`],
        ],
      });
      expect(variables).not.toHaveProperty(ENV.publicApiUrl);
    }
  });

  it('limits malloc arenas on the converting functions only (sharp memory), not on the others', () => {
    for (const name of FUNCTION_NAMES) {
      const id = logicalId(s, s.stack.functions.byName[name]);
      const fn = s.template.findResources('AWS::Lambda::Function')[id]?.Properties as Props;
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      if (CONVERTING_FUNCTIONS.has(name)) expect(variables.MALLOC_ARENA_MAX).toBe('2');
      else expect(variables).not.toHaveProperty('MALLOC_ARENA_MAX');
    }
  });

  it('keeps logs a month', () => {
    const groups = propsOf('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(FUNCTION_NAMES.length + 2);
    for (const group of groups) expect(group.RetentionInDays).toBe(30);
  });
});

describe('data', () => {
  it('builds every table of core/tables.ts: keys, TTL, on-demand, PITR, encryption, retained', () => {
    const tables = s.template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(TABLES.length);
    for (const schema of TABLES) {
      const table = tables[logicalId(s, s.stack.data.tables[schema.name])];
      expect(table?.DeletionPolicy).toBe('Retain');
      const keySchema = [{ AttributeName: schema.partitionKey, KeyType: 'HASH' }];
      if (schema.sortKey) keySchema.push({ AttributeName: schema.sortKey, KeyType: 'RANGE' });
      expect(table?.Properties).toMatchObject({
        KeySchema: keySchema,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      const indexes = (schema.indexes ?? []).map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }));
      expect(table?.Properties?.GlobalSecondaryIndexes ?? []).toEqual(indexes);
      if (schema.ttlAttribute) {
        expect(table?.Properties?.TimeToLiveSpecification).toEqual({
          AttributeName: schema.ttlAttribute,
          Enabled: true,
        });
      } else {
        expect(table?.Properties?.TimeToLiveSpecification).toBeUndefined();
      }
    }
  });

  it('indexes the open jobs of a printer: partition printerId, sort the sparse openJobId', () => {
    const jobs = s.template.findResources('AWS::DynamoDB::Table')[logicalId(s, s.stack.data.tables.jobs)];
    expect(jobs?.Properties?.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'open-jobs',
        KeySchema: [
          { AttributeName: 'printerId', KeyType: 'HASH' },
          { AttributeName: 'openJobId', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(jobs?.Properties?.AttributeDefinitions).toContainEqual({
      AttributeName: OPEN_JOBS_INDEX.sortKey,
      AttributeType: 'S',
    });
  });

  it('streams new webhook delivery items to webhook-delivery, and only those', () => {
    const tables = s.template.findResources('AWS::DynamoDB::Table');
    for (const schema of TABLES) {
      const stream = tables[logicalId(s, s.stack.data.tables[schema.name])]?.Properties?.StreamSpecification;
      expect(stream, schema.name).toEqual(schema.stream ? { StreamViewType: 'NEW_IMAGE' } : undefined);
    }
    const mappings = propsOf('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({
      FunctionName: { Ref: logicalId(s, s.stack.functions.byName['webhook-delivery']) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(s, s.stack.data.tables.webhooks), 'StreamArn'] },
      StartingPosition: 'LATEST',
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { NewImage: { kind: { S: ['delivery'] } } },
            }),
          },
        ],
      },
    });
  });

  it('sweeps due webhook retries every minute with the same function, which may query only its due index', () => {
    const rules = propsOf('AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: functionArnOf('webhook-delivery') })],
    });
    const webhooks =
      s.template.findResources('AWS::DynamoDB::Table')[logicalId(s, s.stack.data.tables.webhooks)];
    expect(webhooks?.Properties?.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'due-deliveries',
        KeySchema: [
          { AttributeName: 'dueShard', KeyType: 'HASH' },
          { AttributeName: 'nextAttemptAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it('keeps print data as long as a job may wait for its printer plus a day (core/retention.ts)', () => {
    expect(DOCUMENT_RETENTION_DAYS).toBe(CORE_DOCUMENT_RETENTION_DAYS);
    expect(DOCUMENT_RETENTION_DAYS).toBe(FETCHABLE_DAYS + 1);
  });

  it('keeps documents private, encrypted, SSL-only, short-lived, and open to presigned browser PUTs', () => {
    const id = logicalId(s, s.stack.data.documents);
    const bucket = s.template.findResources('AWS::S3::Bucket')[id];
    expect(bucket?.DeletionPolicy).toBe('Retain');
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          {
            Status: 'Enabled',
            ExpirationInDays: DOCUMENT_RETENTION_DAYS,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
      CorsConfiguration: { CorsRules: [{ AllowedMethods: ['PUT'], AllowedOrigins: ['*'] }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(s, s.stack.data.accessLogs) } },
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('generates the owner key in Secrets Manager', () => {
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 43, ExcludePunctuation: true },
    });
  });
});

it('outputs the API URL, WebSocket URL, owner key secret ARN and documents bucket', () => {
  const outputs = s.template.findOutputs('*');
  expect(Object.keys(outputs).sort()).toEqual([
    'ApiUrl',
    'DocumentsBucket',
    'OwnerKeySecretArn',
    'WebSocketUrl',
  ]);
  expect(JSON.stringify(outputs.WebSocketUrl?.Value)).toContain('wss://');
  expect(outputs.OwnerKeySecretArn?.Value).toEqual({ Ref: logicalId(s, s.stack.data.ownerKey) });
});
