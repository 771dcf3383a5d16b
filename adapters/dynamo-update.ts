/** Builds DynamoDB update and condition expressions with every attribute name aliased (many are reserved). */

export interface Expression {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private counter = 0;

  /** `#name` for an attribute. */
  name(attribute: string): string {
    const alias = `#${attribute.replace(/[^A-Za-z0-9_]/g, '_')}`;
    this.names[alias] = attribute;
    return alias;
  }

  /** `:vN` for a value. */
  value(value: unknown): string {
    const alias = `:v${this.counter++}`;
    this.values[alias] = value;
    return alias;
  }

  build(parts: { update?: string; condition?: string }): Expression {
    const out: Expression = { ExpressionAttributeNames: this.names };
    if (parts.update) out.UpdateExpression = parts.update;
    if (parts.condition) out.ConditionExpression = parts.condition;
    if (Object.keys(this.values).length > 0) out.ExpressionAttributeValues = this.values;
    return out;
  }
}

/**
 * `SET a = :v0, b = :v1 REMOVE c`: undefined fields are skipped, null fields are removed
 * (an absent attribute reads back as null/undefined everywhere).
 */
export function updateExpression(
  builder: ExpressionBuilder,
  set: Record<string, unknown>,
  extra: {
    setRaw?: string[];
    remove?: string[];
    /** A number to add, or members to add to a string set (created when missing). */
    add?: Record<string, number | Set<string>>;
    /** Members to take out of a string set. */
    delete?: Record<string, Set<string>>;
  } = {},
): string {
  const sets: string[] = [...(extra.setRaw ?? [])];
  const removes: string[] = (extra.remove ?? []).map((a) => builder.name(a));
  for (const [attribute, value] of Object.entries(set)) {
    if (value === undefined) continue;
    if (value === null) removes.push(builder.name(attribute));
    else sets.push(`${builder.name(attribute)} = ${builder.value(value)}`);
  }
  const adds = Object.entries(extra.add ?? {}).map(([a, n]) => `${builder.name(a)} ${builder.value(n)}`);
  const deletes = Object.entries(extra.delete ?? {}).map(
    ([a, v]) => `${builder.name(a)} ${builder.value(v)}`,
  );
  const clauses: string[] = [];
  if (sets.length) clauses.push(`SET ${sets.join(', ')}`);
  if (removes.length) clauses.push(`REMOVE ${removes.join(', ')}`);
  if (adds.length) clauses.push(`ADD ${adds.join(', ')}`);
  if (deletes.length) clauses.push(`DELETE ${deletes.join(', ')}`);
  return clauses.join(' ');
}

/** The SDK's ConditionalCheckFailedException, by name (lib-dynamodb rethrows the service exception). */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
