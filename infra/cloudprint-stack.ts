/** The whole cloud in one stack: data, the functions, the two APIs, and what watches them. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CustomDomain, type CustomDomainOptions, webSocketDomainNameOf } from './custom-domain.ts';
import { Data } from './data.ts';
import { DEFAULT_CONVERSION_CONCURRENCY, Functions } from './functions.ts';
import { CloudprintHttpApi } from './http-api.ts';
import { Monitoring } from './monitoring.ts';
import { DEFAULT_ARCHITECTURE, type LambdaArchitecture } from './platform.ts';
import { type ApiGatewayAccountMode, CloudprintWebSocketApi } from './websocket-api.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CloudprintStackProps extends StackProps {
  /** Handler modules; tests point this at fixture handlers of their own. Default: functions/. */
  functionsDir?: string;
  /** The Lambdas' machine; default arm64 (infra/platform.ts says why). */
  architecture?: LambdaArchitecture;
  /**
   * Reserved concurrency of the converting function (bounds its cost and what it takes from the
   * account); null reserves none, for accounts whose concurrency limit is still 10. Default 5.
   */
  conversionConcurrency?: number | null;
  /** Host names of their own for both APIs; default none (the execute-api URLs). */
  customDomain?: CustomDomainOptions;
  /** Who sets the account-wide API Gateway logging role (infra/websocket-api.ts). Default create. */
  apiGatewayAccount?: ApiGatewayAccountMode;
}

export class CloudprintStack extends Stack {
  readonly data: Data;
  readonly functions: Functions;
  readonly httpApi: CloudprintHttpApi;
  readonly webSocketApi: CloudprintWebSocketApi;
  readonly monitoring: Monitoring;
  readonly customDomain: CustomDomain | undefined;
  readonly architecture: LambdaArchitecture;

  constructor(scope: Construct, id: string, props: CloudprintStackProps = {}) {
    // the tables are retained anyway; protection also stops a stray `cdk destroy` from taking the rest
    super(scope, id, { terminationProtection: true, ...props });
    this.architecture = props.architecture ?? DEFAULT_ARCHITECTURE;
    this.data = new Data(this, 'Data');
    this.webSocketApi = new CloudprintWebSocketApi(this, 'WebSocket', {
      apiGatewayAccount: props.apiGatewayAccount ?? 'create',
    });
    const conversionConcurrency =
      props.conversionConcurrency === null
        ? undefined
        : (props.conversionConcurrency ?? DEFAULT_CONVERSION_CONCURRENCY);
    this.functions = new Functions(this, 'Functions', {
      projectRoot: PROJECT_ROOT,
      functionsDir: props.functionsDir ?? join(PROJECT_ROOT, 'functions'),
      data: this.data,
      webSocketStage: this.webSocketApi.stage,
      webSocketUrl: props.customDomain
        ? `wss://${webSocketDomainNameOf(props.customDomain)}`
        : this.webSocketApi.stage.url,
      architecture: this.architecture,
      conversionConcurrency,
    });
    const fns = this.functions.byName;
    this.webSocketApi.addRoutes(fns.connect, fns.authorizer);
    this.httpApi = new CloudprintHttpApi(this, 'Http', { functions: fns });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: fns,
      httpApi: this.httpApi.api,
      webSocketApi: this.webSocketApi.api,
      webSocketStage: this.webSocketApi.stage,
    });
    for (const queue of this.functions.deadLetters) this.monitoring.alarmOnDeadLetters(queue.node.id, queue);
    this.customDomain = props.customDomain
      ? new CustomDomain(this, 'Domain', {
          ...props.customDomain,
          httpApi: this.httpApi.api,
          httpStage: this.httpApi.stage,
          webSocketApi: this.webSocketApi.api,
          webSocketStage: this.webSocketApi.stage,
        })
      : undefined;

    new CfnOutput(this, 'ApiUrl', {
      value: this.customDomain?.httpUrl ?? this.httpApi.url,
      description: 'the API URL printers and terminals use',
    });
    new CfnOutput(this, 'WebSocketUrl', {
      value: this.customDomain?.webSocketUrl ?? this.webSocketApi.stage.url,
    });
    new CfnOutput(this, 'OwnerKeySecretArn', {
      value: this.data.ownerKey.secretArn,
      description: 'npm run rotate-owner-key -- --secret-id <this> sets a new owner key',
    });
    new CfnOutput(this, 'DocumentsBucket', { value: this.data.documents.bucketName });
  }
}
