/**
 * Delivering one recorded event to its webhook: signed POSTs, retried with exponential backoff, every
 * attempt written to the delivery log as it happens. At least once: a receiver drops repeats by the
 * event's `id` (the stream may hand a delivery over twice).
 */
import { ConditionFailedError } from './errors.ts';
import type { Ports, WebhookSender } from './ports.ts';
import { type DeliveryAttempt, type DeliveryRecord, DeliveryStatus } from './webhook-record.ts';
import { SIGNATURE_HEADER, signWebhookPayload } from './webhook-signature.ts';

type DeliveryPorts = Pick<Ports, 'webhooks' | 'clock'>;

/** Attempts per delivery: the first, then retries after 1, 2, 4, 8, 16 × the base delay. */
export const MAX_ATTEMPTS = 6;
/** The base delay: 1 s, so a delivery gives up about 31 s after its first failure. */
export const DEFAULT_RETRY_BASE_MS = 1_000;
/** How long one attempt waits for the receiver's answer. */
export const ATTEMPT_TIMEOUT_MS = 5_000;

/** The wait before attempt `n` (0-based): 0, then base × 2^(n-1). */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return attempt === 0 ? 0 : baseMs * 2 ** (attempt - 1);
}

export interface DeliveryOptions {
  send: WebhookSender;
  retryBaseMs?: number;
  attemptTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** How long the caller may still run (a Lambda's remaining time); no attempt is started that could overrun it. */
  remainingMs?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delivers one pending delivery; returns it as finally recorded (undefined if it is gone). */
export async function deliver(
  ports: DeliveryPorts,
  webhookId: string,
  deliveryId: string,
  options: DeliveryOptions,
): Promise<DeliveryRecord | undefined> {
  const baseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const timeoutMs = options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const sleep = options.sleep ?? defaultSleep;
  const delivery = await ports.webhooks.getDelivery(webhookId, deliveryId);
  if (!delivery || delivery.status !== DeliveryStatus.pending) return delivery;
  const hook = await ports.webhooks.get(webhookId);
  const attempts = [...delivery.attempts];
  let recordedAttempts = attempts.length;
  /** Writes the log; undefined when another deliverer of this item recorded meanwhile (it carries on). */
  const record = async (status: DeliveryRecord['status'], nextAttemptAt: string | null) => {
    const updatedAt = ports.clock.now().toISOString();
    try {
      await ports.webhooks.updateDelivery(webhookId, deliveryId, {
        status,
        attempts,
        nextAttemptAt,
        updatedAt,
        recordedAttempts,
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
    recordedAttempts = attempts.length;
    return { ...delivery, status, attempts: [...attempts], nextAttemptAt, updatedAt };
  };
  /** The final write; the delivery as stored when another deliverer won. */
  const settle = async (status: DeliveryRecord['status']) =>
    (await record(status, null)) ?? ports.webhooks.getDelivery(webhookId, deliveryId);
  if (!hook) {
    attempts.push({ at: ports.clock.now().toISOString(), error: 'webhook deleted', durationMs: 0 });
    return settle(DeliveryStatus.failed);
  }

  for (let n = attempts.length; n < MAX_ATTEMPTS; n++) {
    const wait = retryDelayMs(n, baseMs);
    if (options.remainingMs && options.remainingMs() < wait + timeoutMs + 1_000) {
      attempts.push({
        at: ports.clock.now().toISOString(),
        error: 'out of time for further attempts',
        durationMs: 0,
      });
      return settle(DeliveryStatus.failed);
    }
    await sleep(wait);
    const started = ports.clock.now();
    const attempt: DeliveryAttempt = { at: started.toISOString(), durationMs: 0 };
    try {
      const timestamp = Math.floor(started.getTime() / 1000);
      const answer = await options.send({
        url: hook.url,
        body: delivery.payload,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'cloudprint-webhooks/1',
          [SIGNATURE_HEADER]: signWebhookPayload(hook.secret, delivery.payload, timestamp),
          'cloudprint-event': delivery.type,
          'cloudprint-delivery': delivery.deliveryId,
        },
        timeoutMs,
      });
      attempt.status = answer.status;
    } catch (error) {
      attempt.error = error instanceof Error ? error.message : String(error);
    }
    attempt.durationMs = ports.clock.now().getTime() - started.getTime();
    attempts.push(attempt);
    if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
      return settle(DeliveryStatus.delivered);
    }
    const last = n + 1 >= MAX_ATTEMPTS;
    const next = last
      ? null
      : new Date(ports.clock.now().getTime() + retryDelayMs(n + 1, baseMs)).toISOString();
    const recorded = await record(last ? DeliveryStatus.failed : DeliveryStatus.pending, next);
    if (last || !recorded) return recorded ?? ports.webhooks.getDelivery(webhookId, deliveryId);
  }
  return settle(DeliveryStatus.failed);
}
