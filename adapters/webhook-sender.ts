/** WebhookSender over fetch: no redirects followed (a receiver answers where it was registered), bounded time. */
import type { WebhookSender } from '../core/ports.ts';

export const fetchSender: WebhookSender = async ({ url, body, headers, timeoutMs }) => {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // What the owner reads in the delivery log: why there was no answer, never the URL (it may hold a token).
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError') throw new Error(`no answer within ${timeoutMs} ms`);
    throw new Error(e.cause?.code ? `connection failed: ${e.cause.code}` : 'connection failed');
  }
  // The answer's body is not read beyond what frees the connection.
  await res.body?.cancel().catch(() => undefined);
  return { status: res.status };
};
