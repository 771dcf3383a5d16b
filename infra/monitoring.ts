/**
 * The owner is told: CloudWatch alarms on what fails quietly (Lambda errors and throttles, HTTP API
 * 5xx, WebSocket integration errors, dead letters) go to an SNS topic with the owner's email, and an
 * AWS Budget mails the same address as the month's spend nears the limit the owner set. Both are
 * stack parameters (`cdk deploy --parameters AlarmEmail=... --parameters MonthlyBudgetUsd=...`).
 */
import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { CfnBudget } from 'aws-cdk-lib/aws-budgets';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName } from './access.ts';
import { acknowledge } from './nag.ts';

/** Over five minutes, at or above these counts an alarm fires (one uncaught error is already news). */
export const ALARM_THRESHOLDS = {
  lambdaErrors: 1,
  lambdaThrottles: 1,
  http5xx: 5,
  webSocketIntegrationErrors: 5,
  deadLetters: 1,
} as const;

export const ALARM_PERIOD = Duration.minutes(5);

/** The budget mails at these percentages of the limit: actual spend, then the month's forecast. */
export const BUDGET_NOTIFICATIONS = [
  { notificationType: 'ACTUAL', threshold: 80 },
  { notificationType: 'FORECASTED', threshold: 100 },
] as const;

export const DEFAULT_MONTHLY_BUDGET_USD = 10;

export interface MonitoringProps {
  functions: Record<FunctionName, IFunction>;
  httpApi: HttpApi;
  webSocketApi: WebSocketApi;
  webSocketStage: WebSocketStage;
}

export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarmEmail: CfnParameter;
  readonly monthlyBudget: CfnParameter;
  readonly budget: CfnBudget;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    // parameters at stack level, so `--parameters AlarmEmail=...` names them as the README does
    const stack = Stack.of(this);
    this.alarmEmail = new CfnParameter(stack, 'AlarmEmail', {
      type: 'String',
      description: 'Where alarms and budget warnings go (confirm the subscription mail AWS sends)',
      allowedPattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
      constraintDescription: 'an email address',
    });
    this.monthlyBudget = new CfnParameter(stack, 'MonthlyBudgetUsd', {
      type: 'Number',
      default: DEFAULT_MONTHLY_BUDGET_USD,
      minValue: 1,
      description: 'Monthly AWS cost (USD) at which the budget warns: 80% actual, 100% forecast',
    });

    this.topic = new Topic(this, 'Alarms', { displayName: 'cloudprint alarms', enforceSSL: true });
    acknowledge(
      this.topic,
      'AwsSolutions-SNS2',
      'Alarm notices carry no customer data; CloudWatch can publish to a KMS-encrypted topic only with a customer key ($1/month) whose policy admits it',
    );
    new Subscription(this, 'AlarmEmailSubscription', {
      topic: this.topic,
      protocol: SubscriptionProtocol.EMAIL,
      endpoint: this.alarmEmail.valueAsString,
    });

    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}-errors`, fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }), {
        threshold: ALARM_THRESHOLDS.lambdaErrors,
        description: `cloudprint ${name}: the function failed (uncaught error or timeout); see its log group`,
      });
      this.alarm(`${name}-throttles`, fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }), {
        threshold: ALARM_THRESHOLDS.lambdaThrottles,
        description: `cloudprint ${name}: requests refused for want of concurrency`,
      });
    }
    this.alarm('http-5xx', props.httpApi.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }), {
      threshold: ALARM_THRESHOLDS.http5xx,
      description: 'cloudprint HTTP API answered 5xx',
    });
    this.alarm(
      'websocket-integration-errors',
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName: 'IntegrationError',
        dimensionsMap: { ApiId: props.webSocketApi.apiId, Stage: props.webSocketStage.stageName },
        period: ALARM_PERIOD,
        statistic: 'Sum',
      }),
      {
        threshold: ALARM_THRESHOLDS.webSocketIntegrationErrors,
        description: 'cloudprint WebSocket API: the connect function failed behind a printer connection',
      },
    );

    // Account-wide: Budgets cannot see one stack's spend without an activated cost allocation tag.
    this.budget = new CfnBudget(this, 'Budget', {
      budget: {
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: this.monthlyBudget.valueAsNumber, unit: 'USD' },
      },
      notificationsWithSubscribers: BUDGET_NOTIFICATIONS.map((n) => ({
        notification: {
          notificationType: n.notificationType,
          comparisonOperator: 'GREATER_THAN',
          threshold: n.threshold,
          thresholdType: 'PERCENTAGE',
        },
        subscribers: [{ subscriptionType: 'EMAIL', address: this.alarmEmail.valueAsString }],
      })),
    });
  }

  /** A dead-letter queue's depth: anything in it is work the cloud gave up on. */
  alarmOnDeadLetters(id: string, queue: IQueue): Alarm {
    return this.alarm(
      `${id}-dead-letters`,
      queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
      {
        threshold: ALARM_THRESHOLDS.deadLetters,
        description: `cloudprint ${id}: messages in the dead-letter queue`,
      },
    );
  }

  private alarm(id: string, metric: IMetric, options: { threshold: number; description: string }): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: options.threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}
