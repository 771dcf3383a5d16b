/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. cdk-nag's AwsSolutions checks gate every synth.
 * Choices come as context (`-c key=value` or cdk.json): architecture (arm64 | x86_64),
 * conversionConcurrency (a number, or `none`), domainName, webSocketDomainName, certificateArn,
 * hostedZoneId + hostedZoneName, apiGatewayAccount (create | existing). README "Deploy to AWS".
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CloudprintStack } from '../infra/cloudprint-stack.ts';
import { parseArchitecture } from '../infra/platform.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const value = app.node.tryGetContext(key) as unknown;
  return value === undefined || value === null || value === '' ? undefined : String(value);
};

const concurrency = context('conversionConcurrency');
const apiGatewayAccount = context('apiGatewayAccount') ?? 'create';
if (apiGatewayAccount !== 'create' && apiGatewayAccount !== 'existing') {
  throw new Error(`apiGatewayAccount must be create or existing, not ${apiGatewayAccount}`);
}
const domainName = context('domainName');

new CloudprintStack(app, 'Cloudprint', {
  description: 'cloudprint: serverless cloud print intermediary',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  architecture: parseArchitecture(context('architecture')),
  conversionConcurrency:
    concurrency === undefined ? undefined : concurrency === 'none' ? null : Number(concurrency),
  apiGatewayAccount,
  ...(domainName
    ? {
        customDomain: {
          domainName,
          webSocketDomainName: context('webSocketDomainName'),
          certificateArn: context('certificateArn'),
          hostedZoneId: context('hostedZoneId'),
          hostedZoneName: context('hostedZoneName'),
        },
      }
    : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
