import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INCOMING_PREFIX } from '../core/print-request.ts';
import { HANDLERS } from '../functions/routes.ts';
import { UPLOAD_ARRIVAL_RETRIES } from './functions.ts';
import { dispose, logicalId, type Synthesized, synthesize } from './testing.ts';

let s: Synthesized;
// the template alone; allow for a busy machine
beforeAll(() => {
  s = synthesize({ bundle: false });
}, 300_000);
afterAll(() => dispose(s));

type Props = Record<string, unknown>;
const propsOf = (type: string): Props[] =>
  Object.values(s.template.findResources(type)).map((r) => r.Properties as Props);
const convertUpload = () => logicalId(s, s.stack.functions.byName['convert-upload']);
const deadLetters = () => {
  const queue = s.stack.functions.deadLetters[0];
  if (!queue) throw new Error('no dead-letter queue');
  return logicalId(s, queue);
};

describe('upload arrivals (uploads converted after they arrive)', () => {
  it('has the bucket invoke convert-upload for objects created under the incoming prefix, and nothing else', () => {
    const [notifications, ...more] = propsOf('Custom::S3BucketNotifications');
    expect(more).toEqual([]);
    expect(notifications?.BucketName).toEqual({ Ref: logicalId(s, s.stack.data.documents) });
    expect(notifications?.NotificationConfiguration).toEqual({
      LambdaFunctionConfigurations: [
        {
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: INCOMING_PREFIX }] } },
          LambdaFunctionArn: { 'Fn::GetAtt': [convertUpload(), 'Arn'] },
        },
      ],
    });
  });

  it('gives the conversion 300 s and 3008 MB, retries twice, then dead-letters the event to an encrypted queue', () => {
    const fn = s.template.findResources('AWS::Lambda::Function')[convertUpload()]?.Properties;
    expect(fn).toMatchObject({ MemorySize: 3008, Timeout: 300 });
    expect(HANDLERS['convert-upload']).toEqual({ memoryMb: 3008, timeoutSeconds: 300 });
    expect(propsOf('AWS::Lambda::EventInvokeConfig')).toEqual([
      {
        FunctionName: { Ref: convertUpload() },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: UPLOAD_ARRIVAL_RETRIES,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [deadLetters(), 'Arn'] } } },
      },
    ]);
    expect(UPLOAD_ARRIVAL_RETRIES).toBe(2);
    const queue = s.template.findResources('AWS::SQS::Queue')[deadLetters()]?.Properties;
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('alarms to the owner topic as soon as one event is in the dead-letter queue', () => {
    const alarms = propsOf('AWS::CloudWatch::Alarm').filter((alarm) =>
      JSON.stringify(alarm.Dimensions ?? []).includes(deadLetters()),
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      AlarmActions: [{ Ref: logicalId(s, s.stack.monitoring.topic) }],
    });
  });

  it('lets only convert-upload write to the dead-letter queue, and convert-upload read no owner key', () => {
    const policies = propsOf('AWS::IAM::Policy');
    const sending = policies.filter((p) => JSON.stringify(p.PolicyDocument).includes('sqs:SendMessage'));
    expect(sending).toHaveLength(1);
    const role = s.stack.functions.byName['convert-upload'].role;
    if (!role) throw new Error('no role');
    expect(sending[0]?.Roles).toEqual([{ Ref: logicalId(s, role) }]);
    const own = policies.filter(
      (p) => JSON.stringify(p.Roles) === JSON.stringify([{ Ref: logicalId(s, role) }]),
    );
    expect(JSON.stringify(own)).not.toContain('secretsmanager');
  });
});
