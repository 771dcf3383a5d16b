/** The whole cloud in one stack: data, the sharp layer, the functions, and the two APIs. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Data } from './data.ts';
import { Functions } from './functions.ts';
import { CloudprintHttpApi } from './http-api.ts';
import { SharpLayer } from './sharp-layer.ts';
import { CloudprintWebSocketApi } from './websocket-api.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CloudprintStackProps extends StackProps {
  /** Handler modules; tests point this at fixture handlers of their own. Default: functions/. */
  functionsDir?: string;
}

export class CloudprintStack extends Stack {
  readonly data: Data;
  readonly functions: Functions;
  readonly httpApi: CloudprintHttpApi;
  readonly webSocketApi: CloudprintWebSocketApi;
  readonly sharpLayer: SharpLayer;

  constructor(scope: Construct, id: string, props: CloudprintStackProps = {}) {
    super(scope, id, props);
    this.data = new Data(this, 'Data');
    this.sharpLayer = new SharpLayer(this, 'Sharp', { nodeModulesDir: join(PROJECT_ROOT, 'node_modules') });
    this.webSocketApi = new CloudprintWebSocketApi(this, 'WebSocket');
    this.functions = new Functions(this, 'Functions', {
      projectRoot: PROJECT_ROOT,
      functionsDir: props.functionsDir ?? join(PROJECT_ROOT, 'functions'),
      data: this.data,
      webSocketStage: this.webSocketApi.stage,
      sharpLayer: this.sharpLayer.layer,
    });
    const fns = this.functions.byName;
    this.webSocketApi.addRoutes(fns.connect, fns.authorizer);
    this.httpApi = new CloudprintHttpApi(this, 'Http', { functions: fns });

    new CfnOutput(this, 'ApiUrl', {
      value: this.httpApi.url,
      description: 'the API URL printers and terminals use',
    });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketApi.stage.url });
    new CfnOutput(this, 'OwnerKeySecretArn', {
      value: this.data.ownerKey.secretArn,
      description: 'aws secretsmanager get-secret-value --secret-id <this> shows the owner key',
    });
    new CfnOutput(this, 'DocumentsBucket', { value: this.data.documents.bucketName });
  }
}
