import { describe, expect, it } from 'vitest';
import { WS_ROUTES } from '../functions/routes.ts';
import { evaluateAuthorizer, methodArn, requestHeaders, selectRoute } from './ws-events.ts';

const arn = methodArn('$connect');
const statement = (
  Effect: string,
  Resource: string | string[],
  Action: string | string[] = 'execute-api:Invoke',
) => ({
  Effect,
  Resource,
  Action,
});
const result = (...Statement: unknown[]) => ({
  principalId: 'p',
  policyDocument: { Version: '2012-10-17', Statement },
});

describe('authorizer policy evaluation', () => {
  it('allows on a matching Allow, with the context flattened beside principalId', () => {
    expect(
      evaluateAuthorizer({ ...result(statement('Allow', arn)), context: { printerId: 'P1', n: 2 } }, arn),
    ).toEqual({
      allow: true,
      authorizer: { principalId: 'p', printerId: 'P1', n: 2 },
    });
  });

  it('matches wildcard resources and a single statement object', () => {
    const single = {
      principalId: 'p',
      policyDocument: { Statement: statement('Allow', 'arn:aws:execute-api:*:*:*/*/*') },
    };
    expect(evaluateAuthorizer(single, arn).allow).toBe(true);
  });

  it('lets Deny win, denies without a matching Allow (403), and treats a malformed answer as 500', () => {
    expect(evaluateAuthorizer(result(statement('Allow', '*'), statement('Deny', arn)), arn)).toEqual({
      allow: false,
      statusCode: 403,
    });
    expect(
      evaluateAuthorizer(result(statement('Allow', 'arn:aws:execute-api:us-east-1:1:other/*')), arn),
    ).toEqual({
      allow: false,
      statusCode: 403,
    });
    expect(evaluateAuthorizer(result(statement('Allow', arn, 's3:GetObject')), arn)).toEqual({
      allow: false,
      statusCode: 403,
    });
    expect(evaluateAuthorizer({ principalId: 'p' }, arn)).toEqual({ allow: false, statusCode: 500 });
    expect(evaluateAuthorizer(undefined, arn)).toEqual({ allow: false, statusCode: 500 });
  });
});

describe('route selection on $request.body.action', () => {
  it('picks a named route, else $default', () => {
    expect(selectRoute('{"action":"heartbeat"}', WS_ROUTES)).toBe('heartbeat');
    expect(selectRoute('{"action":"goodbye","x":1}', WS_ROUTES)).toBe('goodbye');
    expect(selectRoute('{"action":"$disconnect"}', WS_ROUTES)).toBe('$default');
    expect(selectRoute('{"action":"print"}', WS_ROUTES)).toBe('$default');
    expect(selectRoute('{"action":7}', WS_ROUTES)).toBe('$default');
    expect(selectRoute('["heartbeat"]', WS_ROUTES)).toBe('$default');
    expect(selectRoute('heartbeat', WS_ROUTES)).toBe('$default');
  });
});

describe('WebSocket request headers', () => {
  it('keeps names as sent and joins repeated ones, with the multi-value map beside', () => {
    expect(requestHeaders(['Host', 'h', 'X-Tag', 'a', 'x-tag', 'b'])).toEqual({
      headers: { Host: 'h', 'X-Tag': 'a,b' },
      multiValueHeaders: { Host: ['h'], 'X-Tag': ['a', 'b'] },
    });
  });
});
