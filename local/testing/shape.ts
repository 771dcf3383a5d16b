/** Compares an event with a real API Gateway fixture: every key the fixture has, with the same kind of value. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Paths (`a.b.c`) where `actual` lacks a key of `fixture` or holds another kind of value. */
export function shapeDifferences(fixture: unknown, actual: unknown, path = ''): string[] {
  if (kindOf(fixture) !== kindOf(actual))
    return [`${path || '(root)'}: ${kindOf(fixture)} expected, ${kindOf(actual)} found`];
  if (kindOf(fixture) !== 'object') return [];
  const differences: string[] = [];
  const a = actual as Record<string, unknown>;
  for (const [key, value] of Object.entries(fixture as Record<string, unknown>)) {
    const here = path ? `${path}.${key}` : key;
    if (!(key in a)) differences.push(`${here}: missing`);
    // header and query maps hold request-specific names: compare their kind, not their keys
    else if (
      /(^|\.)(headers|multiValueHeaders|queryStringParameters|multiValueQueryStringParameters|pathParameters|stageVariables)$/.test(
        here,
      )
    )
      differences.push(
        ...(kindOf(value) === kindOf(a[key])
          ? []
          : [`${here}: ${kindOf(value)} expected, ${kindOf(a[key])} found`]),
      );
    else differences.push(...shapeDifferences(value, a[key], here));
  }
  return differences;
}
