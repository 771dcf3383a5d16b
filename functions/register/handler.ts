/** PIN registration: the printer starts and polls, the owner claims (claim page + POST /v1/claims). */
import { awsPorts } from '../../adapters/ports.ts';
import { bearerSecret, requireOwner } from '../../core/auth.ts';
import { UnauthorizedError } from '../../core/errors.ts';
import { sourceOf } from '../../core/rate-limit.ts';
import { claimRegistration, pollRegistration, startRegistration } from '../../core/registration.ts';
import { claimBodySchema, registrationBodySchema, registrationParamsSchema } from '../../core/schemas.ts';
import {
  bodyOf,
  type HttpEvent,
  header,
  html,
  httpHandler,
  json,
  pathOf,
  principalOf,
  publicBaseUrl,
  stagePrefix,
} from '../http.ts';
import { claimPage } from './claim-page.ts';

const ports = awsPorts();

function claimPageResponse(event: HttpEvent, registrationId: string | undefined) {
  return html(200, claimPage({ registrationId, claimsPath: `${stagePrefix(event)}/v1/claims` }));
}

export const handler = httpHandler<'register'>({
  'POST /v1/registrations': async (event) => {
    const body = bodyOf(registrationBodySchema, event);
    const started = await startRegistration(ports, body, sourceOf(event.requestContext.http.sourceIp));
    return json(201, {
      registrationId: started.registrationId,
      pin: started.pin,
      claimUrl: `${publicBaseUrl(event)}/claim/${started.registrationId}`,
      pollToken: started.pollToken,
      expiresAt: started.expiresAt,
      interval: started.interval,
    });
  },

  'GET /v1/registrations/{registrationId}': async (event) => {
    const { registrationId } = pathOf(registrationParamsSchema, event);
    const pollToken = bearerSecret(header(event, 'authorization'));
    if (!pollToken)
      throw new UnauthorizedError('The poll token is required: Authorization: Bearer <pollToken>');
    const answer = await pollRegistration(ports, registrationId, pollToken);
    return json(200, answer, { 'cache-control': 'no-store' });
  },

  'POST /v1/claims': async (event) => {
    const principal = await principalOf(event, ports);
    requireOwner(principal);
    const body = bodyOf(claimBodySchema, event);
    return json(200, await claimRegistration(ports, body, sourceOf(event.requestContext.http.sourceIp)));
  },

  'GET /claim': async (event) => claimPageResponse(event, undefined),

  'GET /claim/{registrationId}': async (event) => {
    const { registrationId } = pathOf(registrationParamsSchema, event);
    return claimPageResponse(event, registrationId);
  },
});
