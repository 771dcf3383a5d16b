import { describe, expect, it } from 'vitest';
import { ExpressionBuilder, isConditionFailure, updateExpression } from './dynamo-update.ts';

describe('updateExpression', () => {
  it('aliases every name, sets values, removes nulls, skips undefined and adds counters', () => {
    // Prepare
    const b = new ExpressionBuilder();
    // Act
    const update = updateExpression(
      b,
      { state: 'idle', reason: null, skipped: undefined },
      { add: { count: 1 } },
    );
    const built = b.build({ update, condition: `attribute_exists(${b.name('printerId')})` });
    // Assess
    expect(built.UpdateExpression).toBe('SET #state = :v0 REMOVE #reason ADD #count :v1');
    expect(built.ExpressionAttributeNames).toEqual({
      '#state': 'state',
      '#reason': 'reason',
      '#count': 'count',
      '#printerId': 'printerId',
    });
    expect(built.ExpressionAttributeValues).toEqual({ ':v0': 'idle', ':v1': 1 });
    expect(built.ConditionExpression).toBe('attribute_exists(#printerId)');
  });

  it('recognises a lost conditional write by the SDK error name', () => {
    // Prepare
    const lost = Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
    });
    // Act + Assess
    expect(isConditionFailure(lost)).toBe(true);
    expect(isConditionFailure(new Error('other'))).toBe(false);
  });
});
