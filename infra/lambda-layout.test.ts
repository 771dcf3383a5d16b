/**
 * Every function asset, as `npm run synth` builds it from the real handlers, loads and answers in
 * the layout Lambda gives it: the asset at var/task, layers at opt, a runner outside both that
 * imports the module the template's Handler names (index.mjs, as Lambda's Node runtime tries
 * .mjs/.js/.cjs), with the template's environment and Lambda's variables, and invokes it with the
 * API Gateway fixture events. AWS calls go to a closed local port, so a handler that needs AWS
 * answers 5xx: any answer shows it loaded; an import error fails. Built for this machine's
 * architecture, since only that can run here; bin/foreign-synth-check.sh covers the others.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../functions/routes.ts';
import { checkAssembly, type FunctionAsset } from './assembly-check.ts';
import { PROJECT_ROOT } from './cloudprint-stack.ts';
import { CONVERTING_FUNCTIONS, ESM_REQUIRE_BANNER, FUNCTION_NAMES } from './functions.ts';
import { type LambdaArchitecture, PLATFORMS } from './platform.ts';
import { dispose, logicalId, type Synthesized, synthesize } from './testing.ts';

const HOST_ARCHITECTURE: LambdaArchitecture = process.arch === 'arm64' ? 'arm64' : 'x86_64';
const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures', 'apigw');

let s: Synthesized;
let root: string;
let closedPort: number;
beforeAll(async () => {
  s = synthesize({ realHandlers: true, props: { architecture: HOST_ARCHITECTURE } });
  root = mkdtempSync(join(tmpdir(), 'cloudprint-lambda-'));
  const server = createServer();
  closedPort = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 9));
    });
  });
}, 300_000);
afterAll(() => {
  dispose(s);
  if (root) rmSync(root, { recursive: true, force: true });
});

/** What the runner prints as its last line. */
interface Outcome {
  outcome: 'import-failed' | 'no-handler' | 'returned' | 'threw';
  result?: { statusCode?: unknown; body?: unknown; policyDocument?: unknown };
  error?: string;
  sharp?: { resolved: string; format: string; width: number };
}

const RUNNER = `
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const [handlerString, eventFile, probeSharp] = process.argv.slice(2);
const taskRoot = process.env.LAMBDA_TASK_ROOT;
const say = (o) => process.stdout.write('\\n' + JSON.stringify(o) + '\\n');
const dot = handlerString.lastIndexOf('.');
const base = join(taskRoot, handlerString.slice(0, dot));
const file = ['.mjs', '.js', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
let mod;
try {
  mod = await import(pathToFileURL(file).href);
} catch (error) {
  say({ outcome: 'import-failed', error: String(error?.stack ?? error) });
  process.exit(0);
}
const handler = mod[handlerString.slice(dot + 1)];
if (typeof handler !== 'function') { say({ outcome: 'no-handler' }); process.exit(0); }
let sharp;
if (probeSharp === 'sharp') {
  // resolved from the bundle's own location, as its bare import is
  const resolved = createRequire(file).resolve('sharp');
  const { default: lib } = await import(pathToFileURL(resolved).href);
  const png = await lib({ create: { width: 4, height: 2, channels: 3, background: '#f00' } }).png().toBuffer();
  const { info } = await lib(png).jpeg().toBuffer({ resolveWithObject: true });
  sharp = { resolved, format: info.format, width: info.width };
}
const context = {
  awsRequestId: 'lambda-layout-test', functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST', memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  logGroupName: '/aws/lambda/test', logStreamName: 'test', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10000,
};
try {
  const result = await handler(JSON.parse((await import('node:fs')).readFileSync(eventFile, 'utf8')), context);
  say({ outcome: 'returned', result, sharp });
} catch (error) {
  say({ outcome: 'threw', error: String(error?.message ?? error), sharp });
}
process.exit(0);
`;

/** CloudFormation values as a deployed function would see them: references become plausible strings. */
function resolveValue(value: unknown): string {
  if (typeof value === 'string') return value;
  const pseudo: Record<string, string> = {
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::Region': 'eu-central-1',
    'AWS::AccountId': '123456789012',
    'AWS::Partition': 'aws',
  };
  if (value && typeof value === 'object') {
    const ref = (value as { Ref?: string }).Ref;
    if (ref) return pseudo[ref] ?? ref.toLowerCase();
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(resolveValue).join(join[0]);
    const getAtt = (value as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
    if (getAtt) return getAtt.join('.').toLowerCase();
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/**
 * A DynamoDB stream batch as the webhooks table's stream delivers it (NEW_IMAGE): a webhook item, not a
 * delivery, so the handler reads it and has nothing to send (no AWS call).
 */
function webhookStreamEvent(): Record<string, unknown> {
  return {
    Records: [
      {
        eventID: '1',
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'us-east-1',
        dynamodb: {
          Keys: { pk: { S: 'webhook' }, sk: { S: 'wh_1' } },
          NewImage: { pk: { S: 'webhook' }, sk: { S: 'wh_1' } },
          SequenceNumber: '111',
          SizeBytes: 26,
          StreamViewType: 'NEW_IMAGE',
        },
        eventSourceARN:
          'arn:aws:dynamodb:us-east-1:123456789012:table/webhooks/stream/2026-01-01T00:00:00.000',
      },
    ],
  };
}

/** The HTTP API fixture, addressed to the function's first route (path parameters filled in). */
function httpEvent(fn: string): Record<string, unknown> {
  const route = HTTP_ROUTES.find((r) => r.fn === fn);
  if (!route) throw new Error(`no route for ${fn}`);
  const event = fixture('http-api-v2-request.json');
  const params: Record<string, string> = {};
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params[name] = `${name}-1`;
    return params[name];
  });
  const context = event.requestContext as Record<string, unknown>;
  return {
    ...event,
    routeKey: `${route.method} ${route.path}`,
    rawPath: path,
    rawQueryString: '',
    queryStringParameters: undefined,
    headers: { 'content-type': 'application/json' },
    pathParameters: Object.keys(params).length ? params : undefined,
    body: route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}',
    requestContext: {
      ...context,
      routeKey: `${route.method} ${route.path}`,
      http: { ...(context.http as object), method: route.method, path },
    },
  };
}

/** A WebSocket MESSAGE on $default, from the $connect fixture's context as API Gateway keeps it. */
function webSocketMessageEvent(): Record<string, unknown> {
  const connect = fixture('websocket-connect-authorizer-request.json');
  const context = connect.requestContext as Record<string, unknown>;
  return {
    requestContext: {
      ...context,
      routeKey: '$default',
      eventType: 'MESSAGE',
      messageId: 'm-1',
      authorizer: { printerId: 'printer-1' },
    },
    body: '{"action":"no-such-action"}',
    isBase64Encoded: false,
  };
}

/** The bucket's ObjectCreated event (test/fixtures/s3), for a key outside incoming/: loaded, touches no store. */
function s3Event(): Record<string, unknown> {
  const event = JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'test', 'fixtures', 's3', 'object-created-put.json'), 'utf8'),
  ) as { Records: Array<{ s3: { object: { key: string } } }> };
  for (const record of event.Records) record.s3.object.key = 'uploads/printer-1/u-1';
  return event;
}

function eventFor(name: (typeof FUNCTION_NAMES)[number]): Record<string, unknown> {
  if (name === 'authorizer') return fixture('websocket-connect-authorizer-request.json');
  if (name === 'connect') return webSocketMessageEvent();
  if (name === 'webhook-delivery') return webhookStreamEvent();
  if (name === 'convert-upload') return s3Event();
  return httpEvent(name);
}

function assetOf(name: (typeof FUNCTION_NAMES)[number]): FunctionAsset {
  const id = logicalId(s, s.stack.functions.byName[name]);
  const asset = checkAssembly(s.outdir).functions.find((f) => f.logicalId === id);
  if (!asset) throw new Error(`no asset for ${name}`);
  return asset;
}

/** Lays the function out as Lambda does under `<root>/<name>` and runs the runner there. */
function invokeInLambdaLayout(name: (typeof FUNCTION_NAMES)[number]): Outcome {
  const asset = assetOf(name);
  const base = join(root, name);
  const taskRoot = join(base, 'var', 'task');
  const opt = join(base, 'opt');
  cpSync(asset.assetDir, taskRoot, { recursive: true });
  mkdirSync(opt, { recursive: true });
  const fnProps = s.template.findResources('AWS::Lambda::Function')[asset.logicalId]?.Properties;
  for (const layer of (fnProps?.Layers as { Ref: string }[] | undefined) ?? []) {
    const content = s.template.findResources('AWS::Lambda::LayerVersion')[layer.Ref]?.Properties?.Content;
    cpSync(join(s.outdir, `asset.${String(content.S3Key).replace(/\.zip$/, '')}`), opt, { recursive: true });
  }
  const runner = join(base, 'runner.mjs');
  writeFileSync(runner, RUNNER);
  const eventFile = join(base, 'event.json');
  writeFileSync(eventFile, JSON.stringify(eventFor(name)));

  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(asset.environment)) environment[key] = resolveValue(value);
  const run = spawnSync(
    process.execPath,
    [runner, asset.handler, eventFile, asset.sharpPlatformPackages.length ? 'sharp' : ''],
    {
      cwd: taskRoot,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...environment,
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LAMBDA_TASK_ROOT: taskRoot,
        LAMBDA_RUNTIME_DIR: join(base, 'var', 'runtime'),
        NODE_PATH: [
          join(opt, 'nodejs', 'node24', 'node_modules'),
          join(opt, 'nodejs', 'node_modules'),
          join(base, 'var', 'runtime', 'node_modules'),
          join(base, 'var', 'runtime'),
          taskRoot,
        ].join(':'),
        AWS_REGION: 'eu-central-1',
        AWS_DEFAULT_REGION: 'eu-central-1',
        AWS_LAMBDA_FUNCTION_NAME: `Cloudprint-${name}`,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fnProps?.MemorySize),
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_ACCESS_KEY_ID: 'AKIALAYOUTTEST000000',
        AWS_SECRET_ACCESS_KEY: 'layout-test',
        AWS_SESSION_TOKEN: 'layout-test',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${closedPort}`,
        AWS_MAX_ATTEMPTS: '1',
        TZ: ':UTC',
      },
    },
  );
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (!last.startsWith('{"outcome"')) throw new Error(`${name}: runner said ${run.stdout}\n${run.stderr}`);
  return JSON.parse(last) as Outcome;
}

describe('synthesized function assets', () => {
  it('carry sharp built for Linux on their architecture beside the bundle, in the converting functions only', () => {
    const report = checkAssembly(s.outdir);
    expect(report.problems).toEqual([]);
    expect(report.functions).toHaveLength(FUNCTION_NAMES.length);
    const platform = PLATFORMS[HOST_ARCHITECTURE].sharp;
    for (const name of FUNCTION_NAMES) {
      const asset = assetOf(name);
      expect(asset.architecture, name).toBe(HOST_ARCHITECTURE);
      expect(asset.handler, name).toBe('index.handler');
      const converts = CONVERTING_FUNCTIONS.has(name);
      expect(asset.importsSharp, name).toBe(converts);
      expect(asset.sharpPlatformPackages, name).toEqual(
        converts ? [`sharp-${platform}`, `sharp-libvips-${platform}`].sort() : [],
      );
      expect(s.template.findResources('AWS::Lambda::LayerVersion')).toEqual({});
    }
  });

  it('are ESM with the require banner and a source map', () => {
    for (const name of FUNCTION_NAMES) {
      const dir = assetOf(name).assetDir;
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8').startsWith(ESM_REQUIRE_BANNER), name).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map')), name).toBe(true);
    }
  });
});

describe('each function in a Lambda-like layout (var/task, opt)', () => {
  it('runs outside any node_modules of the repository', () => {
    for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
    }
  });

  for (const name of FUNCTION_NAMES) {
    it(`${name} loads and its handler answers a fixture event`, () => {
      // Act
      const outcome = invokeInLambdaLayout(name);
      // Assess
      expect(outcome.error ?? '', name).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
      if (name === 'authorizer') {
        // an authorizer refuses by throwing `Unauthorized` or by a Deny policy: both are its answer
        expect(
          outcome.outcome === 'returned' || outcome.error === 'Unauthorized',
          JSON.stringify(outcome),
        ).toBe(true);
        return;
      }
      expect(outcome.outcome, JSON.stringify(outcome)).toBe('returned');
      if (name === 'webhook-delivery' || name === 'convert-upload') return; // event consumers answer nothing
      expect(typeof outcome.result?.statusCode, JSON.stringify(outcome)).toBe('number');
      if (name === 'print-request') {
        expect(
          outcome.sharp?.resolved.startsWith(join(root, name, 'var', 'task', 'node_modules', 'sharp')),
        ).toBe(true);
        expect(outcome.sharp).toMatchObject({ format: 'jpeg', width: 4 });
      }
    }, 90_000);
  }
});

describe('the web app bundle', () => {
  it('carries web/ and the QR encoder beside the app function, where functions/app/assets.ts looks', () => {
    // Act
    const dir = assetOf('app').assetDir;
    // Assess
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['index.mjs', 'web']));
    expect(readFileSync(join(dir, 'web', 'index.html'), 'utf8')).toContain('<title>cloudprint</title>');
    expect(readFileSync(join(dir, 'web', 'vendor', 'qrcode.mjs'), 'utf8')).toContain('export default qrcode');
    expect(existsSync(join(dir, 'web', 'app', 'icon-192.png'))).toBe(true);
    expect(existsSync(join(assetOf('terminal').assetDir, 'web'))).toBe(false);
  });
});
