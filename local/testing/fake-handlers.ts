/**
 * In-memory handlers for the gateway tests: they record every event they get and answer as the
 * test tells them, so a test sees exactly what the gateway delivered and what it did with the answer.
 */
import type { HandlerLoader, LambdaHandler } from '../lambda.ts';

export interface Recorded {
  module: string;
  event: Record<string, unknown> & { requestContext: Record<string, unknown> };
}

export interface FakeHandlers {
  load: HandlerLoader;
  calls: Recorded[];
  /** How many times each module was loaded (a warm Lambda loads once). */
  loads: Map<string, number>;
  /** Replace the behaviour of one module. */
  set(module: string, handler: LambdaHandler): void;
  of(module: string): Recorded[];
}

/** By default every HTTP handler echoes its event back as JSON. */
const echo: LambdaHandler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
});

export function fakeHandlers(): FakeHandlers {
  const behaviour = new Map<string, LambdaHandler>();
  const calls: Recorded[] = [];
  const loads = new Map<string, number>();
  return {
    calls,
    loads,
    set: (module, handler) => behaviour.set(module, handler),
    of: (module) => calls.filter((c) => c.module === module),
    load: async (module) => {
      loads.set(module, (loads.get(module) ?? 0) + 1);
      return (event, context) => {
        calls.push({ module, event: event as Recorded['event'] });
        return (behaviour.get(module) ?? echo)(event, context);
      };
    },
  };
}

/** The policy a REQUEST authorizer returns. */
export function policy(effect: 'Allow' | 'Deny', resource: string, context: Record<string, unknown> = {}) {
  return {
    principalId: 'printer',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    context,
  };
}
