/** WebhookSender over fetch: no redirects followed (a receiver answers where it was registered), bounded time. */
import type { WebhookSender } from '../core/ports.ts';

export const fetchSender: WebhookSender = async ({ url, body, headers, timeoutMs }) => {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  // The answer's body is not read beyond what frees the connection.
  await res.body?.cancel().catch(() => undefined);
  return { status: res.status };
};
