/** The CDK app: `npx cdk synth` / `npx cdk deploy`. cdk-nag's AwsSolutions checks gate every synth. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CloudprintStack } from '../infra/cloudprint-stack.ts';

const app = new App();
new CloudprintStack(app, 'Cloudprint', {
  description: 'cloudprint: serverless cloud print intermediary',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
