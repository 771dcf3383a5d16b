/**
 * The push connection's routes (route selection `$request.body.action`). Presence only: nothing here
 * ever writes acceptingJobs (claim 1).
 */
import middy from '@middy/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { awsPorts } from '../../adapters/ports.ts';
import { type ConnectionIdentity, onConnect, onDisconnect, onGoodbye } from '../../core/connection.ts';
import { ConflictError, HttpError, UnauthorizedError } from '../../core/errors.ts';
import { wsErrorResponse } from '../http.ts';
import type { MockRoute, WsRoute } from '../routes.ts';

const ports = awsPorts();

/** The event as API Gateway delivers it: the authorizer context rides along on every route. */
type WsEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & {
    authorizer?: { printerId?: unknown; tokenId?: unknown };
  };
};
type WsResult = { statusCode: number; body?: string };
type WsRouteHandler = (
  identity: ConnectionIdentity,
  connectionId: string,
  event: WsEvent,
) => Promise<WsResult>;

const ok: WsResult = { statusCode: 200 };

/** The socket's token was replaced (re-registration): the socket is being closed, nothing was done. */
function revoked(): never {
  throw new HttpError(403, 'revoked', 'This access token was replaced; register again');
}

/**
 * Exactly the routes a Lambda serves: a mock route (answered by API Gateway, WS_MOCK_ROUTES) has no entry,
 * and a message that reaches this function on one anyway is answered by `$default`.
 */
type LambdaRoute = Exclude<WsRoute, MockRoute>;

const routes: Record<LambdaRoute, WsRouteHandler> = {
  $connect: async (identity, connectionId, event) => {
    const outcome = await onConnect(ports, identity, connectionId, event.requestContext.connectedAt);
    if (outcome === 'recorded') return ok;
    if (outcome === 'revoked') revoked();
    // A socket opened before the printer's current one, whose $connect ran late: refuse it.
    throw new ConflictError('A newer connection of this printer is open');
  },
  $disconnect: async ({ printerId }, connectionId) => {
    await onDisconnect(ports, printerId, connectionId);
    return ok;
  },
  goodbye: async (identity, connectionId) => {
    if ((await onGoodbye(ports, identity, connectionId)) === 'revoked') revoked();
    return { statusCode: 200, body: JSON.stringify({ type: 'goodbye-ack' }) };
  },
  $default: async () => {
    throw new HttpError(400, 'unknown-action', 'Send {"action": "heartbeat"} or {"action": "goodbye"}');
  },
};

function isRoute(key: string): key is LambdaRoute {
  return Object.hasOwn(routes, key);
}

export const handler = middy<WsEvent, APIGatewayProxyResultV2, Error, Context>().handler(
  async (event: WsEvent): Promise<WsResult> => {
    const { routeKey, connectionId } = event.requestContext;
    const printerId = event.requestContext.authorizer?.printerId;
    try {
      if (typeof printerId !== 'string' || !printerId)
        throw new UnauthorizedError('No printer for this connection');
      // A socket authorized before tokenIds existed has none: it counts as revoked and reconnects.
      const tokenId = event.requestContext.authorizer?.tokenId;
      const identity = { printerId, tokenId: typeof tokenId === 'string' ? tokenId : '' };
      const route = isRoute(routeKey) ? routes[routeKey] : routes.$default;
      return await route(identity, connectionId, event);
    } catch (error) {
      // The one error mapping of functions/http.ts (5xx bodies fixed, the error logged).
      return wsErrorResponse(error, { routeKey, printerId });
    }
  },
);
