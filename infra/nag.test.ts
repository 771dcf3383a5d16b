import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose, type Synthesized, synthesize } from './testing.ts';

let s: Synthesized;
// the template alone (bundles: infra/lambda-layout.test.ts); allow for a busy machine
beforeAll(() => {
  s = synthesize({ bundle: false });
}, 300_000);
afterAll(() => dispose(s));

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing that is not acknowledged with a reason', () => {
    const report = new AwsSolutionsChecks().validateScope(s.stack);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId)}`),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only the named wildcard resources: a new wildcard grant is still reported', () => {
    const role = s.stack.functions.byName.jobs.role;
    if (!role) throw new Error('jobs has no role');
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::another-bucket/*'] }),
    );
    const report = new AwsSolutionsChecks().validateScope(s.stack);
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => v.ruleName)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::another-bucket/*]',
    ]);
  });
});
