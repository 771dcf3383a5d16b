/** Multi-step flows the handler tests share, driven through the real handlers. */
import { expect } from 'vitest';
import type { TestCloud } from './cloud.ts';
import { call, httpEvent } from './cloud.ts';

type Handler = Parameters<typeof call>[0];

export interface Handlers {
  register: Handler;
  printerCommands: Handler;
  terminal: Handler;
  print: Handler;
  jobs: Handler;
  connect: Handler;
  authorizer: Handler;
}

/** Imports every handler module: call it after the test cloud has set the environment they read. */
export async function loadHandlers(): Promise<Handlers> {
  return {
    register: (await import('../register/handler.ts')).handler,
    printerCommands: (await import('../printer-commands/handler.ts')).handler,
    terminal: (await import('../terminal/handler.ts')).handler,
    print: (await import('../print-request/handler.ts')).handler,
    jobs: (await import('../jobs/handler.ts')).handler,
    connect: (await import('../connect/handler.ts')).handler,
    authorizer: (await import('../connect/authorizer.ts')).handler,
  };
}

/** Starts a registration, claims it with the owner key and polls the access token. */
export async function registerPrinter(
  handlers: Handlers,
  cloud: TestCloud,
  printerId: string,
  options: { accepting?: boolean } = {},
): Promise<string> {
  const started = await call(
    handlers.register,
    httpEvent('POST /v1/registrations', { body: { printerId, name: `Printer ${printerId}` } }),
  );
  expect(started.status).toBe(201);
  const { registrationId, pin, pollToken } = started.body as Record<string, string>;
  const claimed = await call(
    handlers.register,
    httpEvent('POST /v1/claims', { token: cloud.ownerKey, body: { registrationId, pin } }),
  );
  expect(claimed.status).toBe(200);
  const polled = await call(
    handlers.register,
    httpEvent('GET /v1/registrations/{registrationId}', {
      pathParameters: { registrationId: String(registrationId) },
      token: pollToken,
    }),
  );
  expect(polled.body.status).toBe('complete');
  const accessToken = String(polled.body.accessToken);
  if (options.accepting) await setAccepting(handlers, accessToken, printerId, true);
  return accessToken;
}

export async function setAccepting(
  handlers: Handlers,
  token: string,
  printerId: string,
  acceptingJobs: boolean,
  reason?: string,
) {
  const answer = await call(
    handlers.printerCommands,
    httpEvent('PUT /v1/printers/{printerId}/accepting-jobs', {
      pathParameters: { printerId },
      token,
      body: reason ? { acceptingJobs, reason } : { acceptingJobs },
    }),
  );
  expect(answer.status).toBe(200);
  return answer;
}
