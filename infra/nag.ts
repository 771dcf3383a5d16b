/**
 * cdk-nag acknowledgements, kept next to the construct they excuse. IAM5 findings name the exact
 * wildcard resource (`AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]`), so an acknowledgement covers
 * that one resource and nothing else that might appear later.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges a wildcard resource in a policy of `scope`, named the way cdk-nag names it. */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resourceArn))}]`, reason);
}

/** cdk-nag's flattening of a resolved reference: Ref → <Name>, GetAtt → <Name.Attr>, Join → concatenation. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === 'string') return `<${ref}>`;
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = (value as { 'Fn::Join'?: unknown })['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flatten).join(join[0]);
    }
  }
  throw new Error(`cannot name ${JSON.stringify(value)} for a cdk-nag acknowledgement`);
}
