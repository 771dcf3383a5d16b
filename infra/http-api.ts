/** The HTTP API: one route per HTTP_ROUTES entry, each to its handler, payload format 2.0. */
import { Duration } from 'aws-cdk-lib';
import {
  type CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_CORS, HTTP_ROUTES, type HttpRoute } from '../functions/routes.ts';
import { HTTP_ACCESS_LOG_FORMAT } from './access-log.ts';
import { acknowledge } from './nag.ts';

/** Stage-wide defaults; the PIN and upload paths have their own limits in the handlers (guards table). */
export const HTTP_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/**
 * Routes a stranger can call without a secret get far less (per API, not per caller): a printer
 * registers once, and a person types a PIN; nobody legitimate needs more than a few a second.
 */
export const ROUTE_THROTTLES: Readonly<Record<string, { rateLimit: number; burstLimit: number }>> = {
  'POST /v1/registrations': { rateLimit: 2, burstLimit: 5 },
  'POST /v1/claims': { rateLimit: 2, burstLimit: 5 },
};

export interface CloudprintHttpApiProps {
  functions: Record<HttpRoute['fn'], IFunction>;
}

export class CloudprintHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: CloudprintHttpApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'cloudprint HTTP API (docs/api.md)',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [...HTTP_CORS.allowOrigins],
        allowMethods: HTTP_CORS.allowMethods.map((method) => CorsHttpMethod[method]),
        allowHeaders: [...HTTP_CORS.allowHeaders],
        exposeHeaders: [...HTTP_CORS.exposeHeaders],
        maxAge: Duration.seconds(HTTP_CORS.maxAgeSeconds),
      },
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: HTTP_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: HTTP_ACCESS_LOG_FORMAT,
      },
    });

    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      Object.entries(ROUTE_THROTTLES).map(([routeKey, t]) => [
        routeKey,
        // a JSON map in CloudFormation: CDK passes its keys through as written
        { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit },
      ]),
    );

    const integrations = new Map<HttpRoute['fn'], HttpLambdaIntegration>();
    for (const route of HTTP_ROUTES) {
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.fn}-integration`, props.functions[route.fn], {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(route.fn, integration);
      }
      for (const added of this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
      })) {
        // route settings name routes by key: API Gateway refuses them before the route exists
        if (`${route.method} ${route.path}` in ROUTE_THROTTLES) this.stage.node.addDependency(added);
        acknowledge(
          added,
          'AwsSolutions-APIG4',
          'Bearer secrets (owner key, share keys, tokens) are checked in the handler against hashes (core/auth.ts); GET /v1/config and the claim page are public by contract',
        );
      }
    }
  }

  /** https://{apiId}.execute-api.{region}.amazonaws.com (the $default stage has no path). */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
