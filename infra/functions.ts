/**
 * One Lambda per HANDLERS entry plus the WebSocket authorizer, bundled from functions/ by local
 * esbuild (no Docker). Each has its own role holding exactly the rights in infra/access.ts, its own
 * log group, and X-Ray tracing. The converting function carries sharp for its architecture in its
 * own asset (`node_modules/` beside `index.mjs`), where Node's ESM resolution finds a bare import.
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, Runtime, StartingPosition, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../core/config.ts';
import { UPLOAD_ARRIVAL_RETRIES } from '../core/convert-upload.ts';
import { INCOMING_PREFIX } from '../core/print-request.ts';
import { DELIVERY_ITEM_KIND, TABLES } from '../core/tables.ts';
import { HANDLERS, type HandlerName, UNTRACED_HANDLERS, WS_AUTHORIZER } from '../functions/routes.ts';
import { DOCUMENT_ACTIONS, FUNCTION_ACCESS, type FunctionName, TABLE_ACTIONS } from './access.ts';
import type { Data } from './data.ts';
import { acknowledge, acknowledgeWildcardResource } from './nag.ts';
import { type LambdaArchitecture, PLATFORMS } from './platform.ts';

export const FUNCTION_NAMES = [
  ...(Object.keys(HANDLERS) as HandlerName[]),
  'authorizer',
] as const satisfies readonly FunctionName[];

/** The authorizer answers every $connect: small and quick. */
const AUTHORIZER_SIZE = { memoryMb: 256, timeoutSeconds: 10 } as const;

/** sharp (libvips) with glibc's many malloc arenas fragments RSS: 2 arenas, 4 MB photo ×5 peak 363 → 254 MB. */
export const PRINT_REQUEST_ENVIRONMENT = { MALLOC_ARENA_MAX: '2' } as const;

/** Native modules the bundle must not inline; infra/stage-sharp.ts puts them beside the bundle instead. */
export const EXTERNAL_MODULES = ['sharp'] as const;

/** The functions that convert documents, and so carry sharp. */
export const CONVERTING_FUNCTIONS: ReadonlySet<FunctionName> = new Set<FunctionName>([
  'print-request',
  'ipp',
  'convert-upload',
]);

export { UPLOAD_ARRIVAL_RETRIES } from '../core/convert-upload.ts';

/** Reserved concurrency of a converting function unless the stack says otherwise: 2 GB each, bounded. */
export const DEFAULT_CONVERSION_CONCURRENCY = 5;

/** ESM bundles still meet CommonJS code that calls require() (AWS SDK internals, sharp's loader). */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as cloudprintCreateRequire } from 'node:module'; const require = cloudprintCreateRequire(import.meta.url);";

/** The web app serves files, not code: web/ and the browser's QR encoder go beside its bundle (functions/app/assets.ts). */
export const APP_ASSET_HOOKS = {
  beforeBundling: (): string[] => [],
  beforeInstall: (): string[] => [],
  afterBundling: (inputDir: string, outputDir: string): string[] => [
    `cp -R "${inputDir}/web" "${outputDir}/web"`,
    `mkdir -p "${outputDir}/web/vendor"`,
    `cp "${inputDir}/node_modules/qrcode-generator/dist/qrcode.mjs" "${outputDir}/web/vendor/qrcode.mjs"`,
  ],
};

/** Module path (under functions/, without `.ts`) of each function's entry. */
export function entryModule(name: FunctionName): string {
  return name === 'authorizer' ? WS_AUTHORIZER.module : `${name}/handler`;
}

export interface FunctionsProps {
  /** The repository root: package-lock.json and node_modules (esbuild) live here. */
  projectRoot: string;
  /** Where the handler modules are; the repository's functions/ unless a test supplies its own. */
  functionsDir: string;
  data: Data;
  webSocketStage: WebSocketStage;
  architecture: LambdaArchitecture;
  /** The wss:// URL printers are told to use (a custom domain, else the stage's own). */
  webSocketUrl: string;
  /** Reserved concurrency for each converting function; undefined reserves none. */
  conversionConcurrency: number | undefined;
}

export class Functions extends Construct {
  readonly byName: Record<FunctionName, NodejsFunction>;
  /** Upload arrivals whose conversion failed after every retry (alarmed by the stack). */
  readonly deadLetters: Queue[] = [];

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { data, webSocketStage } = props;

    const environment: Record<string, string> = {
      [ENV.documentsBucket]: data.documents.bucketName,
      [ENV.wsCallbackUrl]: webSocketStage.callbackUrl,
      [ENV.wsUrl]: props.webSocketUrl,
      [ENV.ownerKeySecretArn]: data.ownerKey.secretArn,
      // PUBLIC_API_URL stays unset: handlers derive links from the request's domainName
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const table of TABLES) environment[table.env] = data.tables[table.name].tableName;

    const platform = PLATFORMS[props.architecture];
    const stageSharpScript = join(props.projectRoot, 'infra', 'stage-sharp.ts');
    const byName = {} as Record<FunctionName, NodejsFunction>;
    for (const name of FUNCTION_NAMES) {
      const converts = CONVERTING_FUNCTIONS.has(name);
      const size = name === 'authorizer' ? AUTHORIZER_SIZE : HANDLERS[name];
      const logGroup = new LogGroup(this, `${name}-logs`, {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new Role(this, `${name}-role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `cloudprint ${name}: only what infra/access.ts grants it`,
      });
      logGroup.grantWrite(role);

      const fn = new NodejsFunction(this, name, {
        entry: join(props.functionsDir, `${entryModule(name)}.ts`),
        handler: 'handler',
        projectRoot: props.projectRoot,
        depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
        runtime: Runtime.NODEJS_24_X,
        architecture: platform.lambda,
        memorySize: size.memoryMb,
        timeout: Duration.seconds(size.timeoutSeconds),
        role,
        logGroup,
        tracing: UNTRACED_HANDLERS.has(name as HandlerName) ? Tracing.PASS_THROUGH : Tracing.ACTIVE,
        environment: converts ? { ...environment, ...PRINT_REQUEST_ENVIRONMENT } : environment,
        ...(converts && props.conversionConcurrency !== undefined
          ? { reservedConcurrentExecutions: props.conversionConcurrency }
          : {}),
        bundling: {
          format: OutputFormat.ESM,
          target: 'node24',
          mainFields: ['module', 'main'],
          banner: ESM_REQUIRE_BANNER,
          minify: true,
          sourceMap: true,
          sourcesContent: false,
          // the AWS SDK is bundled too: the versions package-lock.json pins are the ones that run
          externalModules: [...EXTERNAL_MODULES],
          forceDockerBundling: false,
          ...(converts
            ? {
                commandHooks: {
                  beforeBundling: () => [],
                  beforeInstall: () => [],
                  // runs only when bundling (never in `cdk synth` of another stack), with the synth's own node
                  afterBundling: (_inputDir: string, outputDir: string) => [
                    `"${process.execPath}" "${stageSharpScript}" ${props.architecture} "${outputDir}"`,
                  ],
                },
              }
            : name === 'app'
              ? { commandHooks: APP_ASSET_HOOKS }
              : {}),
        },
      });
      grantAccess(role, name, props, fn);
      if (FUNCTION_ACCESS[name].uploadArrivals)
        this.deadLetters.push(receiveUploadArrivals(this, name, props, fn));
      acknowledgeWildcardResource(
        role,
        '*',
        FUNCTION_ACCESS[name].webhookStream
          ? 'X-Ray PutTraceSegments/PutTelemetryRecords (tracing: ACTIVE) and dynamodb:ListStreams (the stream event source) have no resource-level permissions'
          : 'X-Ray PutTraceSegments/PutTelemetryRecords (added by tracing: ACTIVE) have no resource-level permissions',
      );
      byName[name] = fn;
    }
    this.byName = byName;
  }
}

/**
 * The bucket invokes `fn` (asynchronously) for each object created under INCOMING_PREFIX; Lambda retries a
 * failed invocation UPLOAD_ARRIVAL_RETRIES times, then the event lands in the returned dead-letter queue.
 */
function receiveUploadArrivals(
  scope: Construct,
  name: string,
  props: FunctionsProps,
  fn: NodejsFunction,
): Queue {
  const deadLetters = new Queue(scope, `${name}-dead-letters`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(
    deadLetters,
    'AwsSolutions-SQS3',
    'This queue is itself the dead-letter queue of an asynchronous invocation',
  );
  fn.configureAsyncInvoke({
    retryAttempts: UPLOAD_ARRIVAL_RETRIES,
    maxEventAge: Duration.hours(1),
    onFailure: new SqsDestination(deadLetters),
  });
  props.data.documents.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(fn), {
    prefix: INCOMING_PREFIX,
  });
  // CDK's one bucket-notifications custom resource (it writes the notification configuration at deploy time).
  const notifications = Stack.of(scope).node.children.find((child) =>
    child.node.id.startsWith('BucketNotificationsHandler'),
  );
  if (notifications) {
    acknowledge(
      notifications,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's bucket-notifications handler runs once per deployment and only writes its logs with this policy",
    );
  }
  return deadLetters;
}

/** The ARN of one global secondary index of `table`. */
export function indexArn(table: Table, indexName: string): string {
  return `${table.tableArn}/index/${indexName}`;
}

function grantAccess(role: Role, name: FunctionName, props: FunctionsProps, fn: NodejsFunction): void {
  const access = FUNCTION_ACCESS[name];
  for (const table of TABLES) {
    const rights = access.tables[table.name];
    if (!rights?.length) continue;
    role.addToPolicy(
      new PolicyStatement({
        actions: rights.flatMap((right) => TABLE_ACTIONS[right]),
        resources: [props.data.tables[table.name].tableArn],
      }),
    );
    // Only the indexes it names (each by its own ARN: no index wildcard), and only on a table it reads.
    const indexes = (table.indexes ?? []).filter((index) => access.indexes?.includes(index.name));
    if (rights.includes('read') && indexes.length) {
      role.addToPolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: indexes.map((index) => indexArn(props.data.tables[table.name], index.name)),
        }),
      );
    }
  }
  if (access.documents?.length) {
    role.addToPolicy(
      new PolicyStatement({
        actions: access.documents.map((right) => DOCUMENT_ACTIONS[right]),
        resources: [props.data.documents.arnForObjects('*')],
      }),
    );
    acknowledgeWildcardResource(
      role,
      props.data.documents.arnForObjects('*'),
      'Object keys are per job and made at run time; only the listed object actions on this one bucket',
    );
  }
  if (access.ownerKey) props.data.ownerKey.grantRead(role);
  if (access.webhookStream) {
    // The sweep: retries due later than one invocation waits (core/webhook-delivery.ts RETRY_SCHEDULE).
    new Rule(fn, 'webhook-sweep', {
      description: 'cloudprint: deliver webhook retries that are due',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(fn)],
    });
    // New delivery items only (the outbox, core/webhooks.ts); attempts are retried inside the function.
    fn.addEventSource(
      new DynamoEventSource(props.data.tables.webhooks, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 10,
        retryAttempts: 2,
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { kind: { S: FilterRule.isEqual(DELIVERY_ITEM_KIND) } } },
          }),
        ],
      }),
    );
  }
  if (access.manageConnections) {
    const stage = props.webSocketStage;
    stage.grantManagementApiAccess(role);
    acknowledgeWildcardResource(
      role,
      Stack.of(role).formatArn({
        service: 'execute-api',
        resource: stage.api.apiId,
        resourceName: `${stage.stageName}/*/@connections/*`,
      }),
      'Connection ids are made by API Gateway at run time; scoped to this API and stage',
    );
  }
}
