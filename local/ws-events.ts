/**
 * API Gateway WebSocket API events: the REQUEST authorizer's event on `$connect`, the events of
 * `$connect`, messages and `$disconnect`, and the evaluation of the policy an authorizer returns.
 */
import { randomInt } from 'node:crypto';
import { clfTime, gatewayRequestId } from './http-event.ts';
import { LOCAL_REGION } from './names.ts';

export const WS_API_ID = 'localws';
export const WS_STAGE = 'local';
const ACCOUNT_ID = '000000000000';

/** What every event of one connection shares. */
export interface ConnectionInfo {
  connectionId: string;
  connectedAt: number;
  domainName: string;
  sourceIp: string;
  userAgent: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** AWS connection ids look like `L0SM9cOFvHcCIhw=`; the `=` keeps clients honest about URL-encoding. */
export function newConnectionId(): string {
  let id = '';
  for (let i = 0; i < 15; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return `${id}=`;
}

export function methodArn(route: string): string {
  return `arn:aws:execute-api:${LOCAL_REGION}:${ACCOUNT_ID}:${WS_API_ID}/${WS_STAGE}/${route}`;
}

/** Header names as sent, repeated ones comma-joined, and the multi-value form beside them. */
export function requestHeaders(rawHeaders: string[]): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const multiValueHeaders: Record<string, string[]> = {};
  const byLower = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i] as string;
    const name = byLower.get(raw.toLowerCase()) ?? raw;
    byLower.set(raw.toLowerCase(), name);
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), rawHeaders[i + 1] as string];
  }
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v.join(',')]));
  return { headers, multiValueHeaders };
}

export function requestQuery(search: URLSearchParams): {
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const multi: Record<string, string[]> = {};
  for (const [key, value] of search) {
    multi[key] = [...(multi[key] ?? []), value];
  }
  if (Object.keys(multi).length === 0)
    return { queryStringParameters: null, multiValueQueryStringParameters: null };
  return {
    // API Gateway keeps the last value in the single-value map
    queryStringParameters: Object.fromEntries(
      Object.entries(multi).map(([k, v]) => [k, v[v.length - 1] ?? '']),
    ),
    multiValueQueryStringParameters: multi,
  };
}

function baseContext(conn: ConnectionInfo, routeKey: string, eventType: string, now: Date) {
  return {
    routeKey,
    eventType,
    extendedRequestId: gatewayRequestId(),
    requestTime: clfTime(now),
    messageDirection: 'IN',
    stage: WS_STAGE,
    connectedAt: conn.connectedAt,
    requestTimeEpoch: now.getTime(),
    identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
    requestId: gatewayRequestId(),
    domainName: conn.domainName,
    connectionId: conn.connectionId,
    apiId: WS_API_ID,
  };
}

export interface UpgradeRequest {
  rawHeaders: string[];
  search: URLSearchParams;
}

export function buildAuthorizerEvent(conn: ConnectionInfo, req: UpgradeRequest, now = new Date()) {
  return {
    type: 'REQUEST' as const,
    methodArn: methodArn('$connect'),
    ...requestHeaders(req.rawHeaders),
    ...requestQuery(req.search),
    stageVariables: {},
    requestContext: baseContext(conn, '$connect', 'CONNECT', now),
    isBase64Encoded: false,
    body: null,
  };
}

export type AuthorizerContext = Record<string, unknown>;

export function buildConnectEvent(
  conn: ConnectionInfo,
  req: UpgradeRequest,
  authorizer: AuthorizerContext,
  now = new Date(),
) {
  const query = requestQuery(req.search);
  return {
    ...requestHeaders(req.rawHeaders),
    ...(query.queryStringParameters ? query : {}),
    requestContext: { ...baseContext(conn, '$connect', 'CONNECT', now), authorizer },
    isBase64Encoded: false,
  };
}

export function buildMessageEvent(
  conn: ConnectionInfo,
  routeKey: string,
  body: string,
  isBase64Encoded: boolean,
  authorizer: AuthorizerContext,
  now = new Date(),
) {
  return {
    requestContext: {
      ...baseContext(conn, routeKey, 'MESSAGE', now),
      messageId: gatewayRequestId(),
      authorizer,
    },
    body,
    isBase64Encoded,
  };
}

export function buildDisconnectEvent(
  conn: ConnectionInfo,
  statusCode: number,
  reason: string,
  authorizer: AuthorizerContext,
  now = new Date(),
) {
  const headers = { Host: conn.domainName, 'X-Forwarded-For': conn.sourceIp };
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext: {
      ...baseContext(conn, '$disconnect', 'DISCONNECT', now),
      disconnectStatusCode: statusCode,
      disconnectReason: reason,
      authorizer,
    },
    isBase64Encoded: false,
  };
}

/** Route selection `$request.body.action`: a JSON object's `action` naming a route, else `$default`. */
export function selectRoute(body: string, routes: readonly string[]): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed !== null && typeof parsed === 'object' && 'action' in parsed) {
      const action = (parsed as { action: unknown }).action;
      if (typeof action === 'string' && !action.startsWith('$') && routes.includes(action)) return action;
    }
  } catch {
    // not JSON: $default
  }
  return '$default';
}

export type AuthorizerVerdict =
  | { allow: true; authorizer: AuthorizerContext }
  | { allow: false; statusCode: 401 | 403 | 500 };

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** IAM-style wildcards in a policy Resource: `*` any run, `?` one character. */
function resourceMatches(pattern: string, arn: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
  );
  return regex.test(arn);
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

/** Deny wins over Allow; no matching Allow is a deny (403). A malformed answer is API Gateway's 500. */
export function evaluateAuthorizer(result: unknown, arn: string): AuthorizerVerdict {
  if (result === null || typeof result !== 'object') return { allow: false, statusCode: 500 };
  const r = result as { principalId?: unknown; policyDocument?: { Statement?: unknown }; context?: unknown };
  const statements = asArray(r.policyDocument?.Statement as Statement | Statement[] | undefined);
  if (statements.length === 0) return { allow: false, statusCode: 500 };
  let allowed = false;
  for (const s of statements) {
    const actions = asArray(s.Action as string | string[] | undefined);
    const actionOk = actions.some((a) => a === '*' || a === 'execute-api:*' || a === 'execute-api:Invoke');
    const resourceOk = asArray(s.Resource as string | string[] | undefined).some((p) =>
      resourceMatches(p, arn),
    );
    if (!actionOk || !resourceOk) continue;
    if (s.Effect === 'Deny') return { allow: false, statusCode: 403 };
    if (s.Effect === 'Allow') allowed = true;
  }
  if (!allowed) return { allow: false, statusCode: 403 };
  const context = r.context !== null && typeof r.context === 'object' ? (r.context as AuthorizerContext) : {};
  return { allow: true, authorizer: { principalId: r.principalId, ...context } };
}
