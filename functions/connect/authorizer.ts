/**
 * The REQUEST authorizer on the WebSocket `$connect` route: an access token opens its printer's push
 * connection, anything else is refused before any handler runs. The printer id and the token's id travel
 * on in the authorizer context (requestContext.authorizer.printerId / tokenId on every later event).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { awsPorts } from '../../adapters/ports.ts';
import { bearerSecret } from '../../core/auth.ts';
import { authorizeConnection } from '../../core/connection.ts';

const ports = awsPorts();

function headerValue(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value) return value;
  }
  return undefined;
}

function policy(principalId: string, effect: 'Allow' | 'Deny', resource: string): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
  };
}

export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const authorization = headerValue(event, 'authorization');
  // What AWS authorizers do for a missing identity: API Gateway answers 401.
  if (!authorization) throw new Error('Unauthorized');
  const identity = await authorizeConnection(ports, bearerSecret(authorization));
  if (!identity) return policy('anonymous', 'Deny', event.methodArn);
  // tokenId (a prefix of the token's hash) rides on every later event: a revoked socket is recognised.
  return { ...policy(identity.printerId, 'Allow', event.methodArn), context: { ...identity } };
}
