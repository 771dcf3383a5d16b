/**
 * Running a handler module the way Lambda does: loaded once per function and kept warm, called with
 * (event, context), where the context says how long the invocation may still run.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { HANDLERS, type HandlerName } from '../functions/routes.ts';
import { LOCAL_REGION } from './names.ts';

export type LambdaHandler = (event: unknown, context: Context) => unknown;

/** Loads a module under functions/ by its path without extension: `terminal/handler`, `connect/authorizer`. */
export type HandlerLoader = (module: string) => Promise<LambdaHandler>;

/** Imports `<dir>/<module>.ts` and takes its `handler` export. */
export function importHandlersFrom(dir: URL): HandlerLoader {
  return async (module) => {
    const url = new URL(`${module}.ts`, dir);
    const loaded = (await import(url.href)) as { handler?: unknown };
    if (typeof loaded.handler !== 'function') throw new Error(`${url.pathname} exports no handler`);
    return loaded.handler as LambdaHandler;
  };
}

/** The real handlers: functions/<fn>/handler.ts and functions/connect/authorizer.ts. */
export const importHandler: HandlerLoader = importHandlersFrom(new URL('../functions/', import.meta.url));

/** Module cache: a warm Lambda keeps its module (and its SDK clients) between invocations. */
export function warmLoader(load: HandlerLoader): HandlerLoader {
  const cache = new Map<string, Promise<LambdaHandler>>();
  return (module) => {
    let handler = cache.get(module);
    if (!handler) {
      handler = load(module);
      // a failed import is retried on the next call, like a Lambda whose init failed
      handler.catch(() => cache.delete(module));
      cache.set(module, handler);
    }
    return handler;
  };
}

export function lambdaContext(fn: HandlerName, module: string): Context {
  const { memoryMb, timeoutSeconds } = HANDLERS[fn];
  const deadline = Date.now() + timeoutSeconds * 1000;
  const functionName = `cloudprint-${module.replace('/', '-')}`;
  const unsupported = () => {
    throw new Error('callback-style completion is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]local`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Calls a handler; a sync or async throw both become a rejected promise. */
export async function invoke(
  load: HandlerLoader,
  fn: HandlerName,
  module: string,
  event: unknown,
): Promise<unknown> {
  const handler = await load(module);
  return await handler(event, lambdaContext(fn, module));
}
