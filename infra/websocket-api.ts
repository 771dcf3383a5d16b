/**
 * The WebSocket API printers hold open for push hints. Built in two steps: the API and its stage
 * first (the functions need its callback URL), the routes once the functions exist.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import {
  WebSocketLambdaIntegration,
  WebSocketMockIntegration,
} from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { WS_AUTHORIZER, WS_MOCK_ROUTES, WS_ROUTES } from '../functions/routes.ts';
import { WEBSOCKET_ACCESS_LOG_FORMAT } from './access-log.ts';
import { acknowledge } from './nag.ts';

export const WEBSOCKET_STAGE = 'v1';
/** Printers send a heartbeat every few minutes; a burst is a reconnect storm after an outage. */
export const WEBSOCKET_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/**
 * `AWS::ApiGateway::Account` is one setting per account and region, not a resource this stack owns:
 * `create` sets it to a role of this stack, and both are retained (another API may log through it
 * after this stack is gone, and deleting the resource would not unset it anyway); `existing` leaves
 * it alone, for accounts where it is already set (`aws apigateway get-account` shows
 * cloudwatchRoleArn) or managed elsewhere, so two stacks never fight over it.
 */
export type ApiGatewayAccountMode = 'create' | 'existing';

export interface CloudprintWebSocketApiProps {
  apiGatewayAccount: ApiGatewayAccountMode;
}

export class CloudprintWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly cloudWatchRole: Role | undefined;

  constructor(scope: Construct, id: string, props: CloudprintWebSocketApiProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', {
      description: 'cloudprint printer push connections (docs/api.md)',
      routeSelectionExpression: '$request.body.action',
    });

    // WebSocket stages (unlike HTTP APIs) log through the account-wide API Gateway CloudWatch role
    const account = props.apiGatewayAccount === 'create' ? this.accountLoggingRole() : undefined;
    this.cloudWatchRole = account?.role;

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      throttle: WEBSOCKET_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: WEBSOCKET_ACCESS_LOG_FORMAT,
      },
    });
    if (account) this.stage.node.addDependency(account.setting);
  }

  private accountLoggingRole(): { role: Role; setting: CfnAccount } {
    const role = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The AWS-maintained policy made for exactly this role (API Gateway writing its own logs)',
    );
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const setting = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    setting.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return { role, setting };
  }

  /**
   * Every route goes to the connect function but the mock ones (WS_MOCK_ROUTES: the heartbeat), which
   * API Gateway answers itself, silently; `$connect` first passes the authorizer.
   */
  addRoutes(handler: IFunction, authorizer: IFunction): void {
    const integration = new WebSocketLambdaIntegration('connect-integration', handler);
    // A MOCK integration takes its status from the request template; nothing is sent back (no route
    // response): an acknowledgement would be a second billed message per heartbeat.
    const mock = new WebSocketMockIntegration('heartbeat-mock', {
      requestTemplates: { $default: '{"statusCode": 200}' },
      templateSelectionExpression: '\\$default',
    });
    const connectAuthorizer = new WebSocketLambdaAuthorizer('Authorizer', authorizer, {
      identitySource: [WS_AUTHORIZER.identitySource],
    });
    for (const routeKey of WS_ROUTES) {
      if (WS_MOCK_ROUTES.has(routeKey)) {
        const route = this.api.addRoute(routeKey, { integration: mock });
        acknowledge(
          route,
          'AwsSolutions-APIG4',
          'A mock answer on an authorized connection: no backend runs',
        );
        continue;
      }
      if (routeKey === '$connect') {
        this.api.addRoute(routeKey, { integration, authorizer: connectAuthorizer });
        continue;
      }
      // Without a route response API Gateway drops what the handler returns: the goodbye ack
      // and the unknown-action error would reach the printer locally but never on AWS.
      const returnResponse = routeKey !== '$disconnect';
      const route = this.api.addRoute(routeKey, { integration, returnResponse });
      acknowledge(
        route,
        'AwsSolutions-APIG4',
        'API Gateway runs WebSocket authorizers on $connect only; later messages ride the authorized connection',
      );
    }
  }
}
